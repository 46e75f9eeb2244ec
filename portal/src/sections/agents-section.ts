// "Agents": each agent's spend this month, whether it may serve, and the owner's limits for it.
import { html } from 'lit';
import { api, orgPath } from '../api';
import { credits } from '../format';
import { LightElement } from '../light';
import { changed, OWNER_ONLY, type Agent } from '../types';
import type { Notice } from '../notice';

const REASONS: Record<string, string> = {
  subscription_inactive: 'Stopped: the subscription is not active',
  plan_exhausted: 'Stopped: plan credits are exhausted',
  agent_limit_reached: 'Stopped: monthly limit reached',
  insufficient_balance: 'Stopped: no credits left',
};

type Draft = { limit: string; when: 'stop' | 'use_balance' };

export class AgentsSection extends LightElement {
  static override properties = { org: { attribute: false }, agents: { attribute: false }, owner: { attribute: false }, messages: { state: true } };
  declare org: string;
  declare agents: Agent[];
  declare owner: boolean;
  declare messages: Record<string, Notice>;
  /** Rows being edited keep what was typed across refreshes. */
  private drafts = new Map<string, Draft>();

  constructor() {
    super();
    this.messages = {};
  }

  private draft(agent: Agent): Draft {
    return this.drafts.get(agent.id) ?? { limit: agent.monthlyLimitCredits === null ? '' : String(agent.monthlyLimitCredits), when: agent.whenPlanExhausted };
  }

  private edit(agent: Agent, change: Partial<Draft>): void {
    this.drafts.set(agent.id, { ...this.draft(agent), ...change });
    this.requestUpdate();
  }

  private async save(agent: Agent): Promise<void> {
    const d = this.draft(agent);
    const limit = d.limit.trim();
    try {
      await api('PUT', orgPath(this.org, `/agents/${encodeURIComponent(agent.id)}`), { monthlyLimitCredits: limit === '' ? null : Number(limit), whenPlanExhausted: d.when });
      this.drafts.delete(agent.id);
      this.messages = { ...this.messages, [agent.id]: { kind: 'status', text: 'Saved.' } };
      changed(this);
    } catch (err) {
      this.messages = { ...this.messages, [agent.id]: { kind: 'alert', text: (err as Error).message } };
    }
  }

  override render() {
    const off = !this.owner;
    return html`
      <section aria-labelledby="agents-heading">
        <h2 id="agents-heading">Agents</h2>
        ${off ? html`<p class="note">${OWNER_ONLY}</p>` : ''}
        ${this.agents.length === 0
          ? html`<p>No agent has used credits yet.</p>`
          : html`<div class="table-wrap">
              <table>
                <thead>
                  <tr><th scope="col">Agent</th><th scope="col">Spent this month</th><th scope="col">Status</th><th scope="col">Monthly limit</th><th scope="col">When plan credits are exhausted</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr>
                </thead>
                <tbody>
                  ${this.agents.map((agent) => {
                    const d = this.draft(agent);
                    const message = this.messages[agent.id];
                    return html`<tr aria-label=${`Agent ${agent.id}`}>
                      <th scope="row">${agent.id}</th>
                      <td>${credits(agent.spentThisMonth)} credits</td>
                      <td>${agent.allowed ? 'Allowed' : (REASONS[agent.reason ?? ''] ?? agent.reason)}</td>
                      <td><input type="number" min="0" step="1" aria-label="Monthly limit" placeholder="No limit" .value=${d.limit} ?disabled=${off} @input=${(e: Event) => this.edit(agent, { limit: (e.target as HTMLInputElement).value })} /></td>
                      <td>
                        <select aria-label="When plan credits are exhausted" ?disabled=${off} @change=${(e: Event) => this.edit(agent, { when: (e.target as HTMLSelectElement).value as Draft['when'] })}>
                          <option value="stop" ?selected=${d.when === 'stop'}>Stop</option>
                          <option value="use_balance" ?selected=${d.when === 'use_balance'}>Use Balance</option>
                        </select>
                      </td>
                      <td>
                        <button type="button" ?disabled=${off} @click=${() => this.save(agent)}>Save</button>
                        ${message ? html`<span role=${message.kind} class=${message.kind}>${message.text}</span>` : ''}
                      </td>
                    </tr>`;
                  })}
                </tbody>
              </table>
            </div>`}
      </section>
    `;
  }
}

customElements.define('agents-section', AgentsSection);
