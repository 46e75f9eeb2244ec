// "Agents": each agent's spend this month, whether it may serve, and the owner's limits for it.
// The billing summary brings the agents with the most spend (live); the rest load on request, a
// page at a time from GET /agents (by id), and stay.
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
  static override properties = {
    org: { attribute: false },
    agents: { attribute: false },
    agentCount: { attribute: false },
    owner: { attribute: false },
    messages: { state: true },
    more: { state: true },
    moreCursor: { state: true },
    loadingMore: { state: true },
    moreFailure: { state: true },
  };
  declare org: string;
  declare agents: Agent[];
  declare agentCount: number;
  declare owner: boolean;
  declare messages: Record<string, Notice>;
  /** The pages loaded on request, by id; `moreCursor` undefined: none yet. */
  declare more: Agent[];
  declare moreCursor: string | null | undefined;
  declare loadingMore: boolean;
  declare moreFailure: string | undefined;
  /** Rows being edited keep what was typed across refreshes. */
  private drafts = new Map<string, Draft>();

  constructor() {
    super();
    this.messages = {};
    this.more = [];
    this.loadingMore = false;
  }

  /** The summary's agents, then the loaded pages' others. */
  private shown(): Agent[] {
    const top = new Set(this.agents.map((a) => a.id));
    return [...this.agents, ...this.more.filter((a) => !top.has(a.id))];
  }

  /** Until the last page, while fewer are shown than the organization has. */
  private hasMore(): boolean {
    return this.moreCursor !== null && this.shown().length < this.agentCount;
  }

  /** Pages on until one brings an agent not shown yet, or the last page. */
  private async showMore(): Promise<void> {
    if (this.loadingMore) return;
    this.loadingMore = true;
    this.moreFailure = undefined;
    try {
      const before = this.shown().length;
      while (this.hasMore() && this.shown().length === before) {
        const cursor = this.moreCursor ? `&cursor=${encodeURIComponent(this.moreCursor)}` : '';
        const { body } = await api<{ agents: Agent[]; nextCursor: string | null }>('GET', orgPath(this.org, `/agents?limit=100${cursor}`));
        this.more = [...this.more, ...body.agents];
        this.moreCursor = body.nextCursor;
      }
    } catch (err) {
      this.moreFailure = (err as Error).message;
    } finally {
      this.loadingMore = false;
    }
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
      const { body: saved } = await api<Agent>('PUT', orgPath(this.org, `/agents/${encodeURIComponent(agent.id)}`), { monthlyLimitCredits: limit === '' ? null : Number(limit), whenPlanExhausted: d.when });
      this.drafts.delete(agent.id);
      // A loaded page is not refreshed with the summary: its row takes the answer.
      this.more = this.more.map((shown) => (shown.id === saved.id ? saved : shown));
      this.messages = { ...this.messages, [agent.id]: { kind: 'status', text: 'Saved.' } };
      changed(this);
    } catch (err) {
      this.messages = { ...this.messages, [agent.id]: { kind: 'alert', text: (err as Error).message } };
    }
  }

  override render() {
    const off = !this.owner;
    const agents = this.shown();
    return html`
      <section aria-labelledby="agents-heading">
        <h2 id="agents-heading">Agents</h2>
        ${off ? html`<p class="note">${OWNER_ONLY}</p>` : ''}
        ${this.agentCount > this.agents.length ? html`<p>Showing ${agents.length} of ${this.agentCount} agents, those with the most spend this month first.</p>` : ''}
        ${agents.length === 0
          ? html`<p>No agent has used credits yet.</p>`
          : html`<div class="table-wrap">
              <table>
                <thead>
                  <tr><th scope="col">Agent</th><th scope="col">Spent this month</th><th scope="col">Status</th><th scope="col">Monthly limit</th><th scope="col">When plan credits are exhausted</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr>
                </thead>
                <tbody>
                  ${agents.map((agent) => {
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
        ${this.hasMore() ? html`<button type="button" class="secondary" ?disabled=${this.loadingMore} @click=${this.showMore}>Show more agents</button>` : ''}
        ${this.moreFailure ? html`<p role="alert" class="alert">${this.moreFailure}</p>` : ''}
      </section>
    `;
  }
}

customElements.define('agents-section', AgentsSection);
