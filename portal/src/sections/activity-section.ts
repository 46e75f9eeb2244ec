// "Activity": the organization's events, newest first. The first page is the page's live one;
// older pages load on request and stay.
import { html } from 'lit';
import { api, orgPath } from '../api';
import { dateTime } from '../format';
import { LightElement } from '../light';
import type { BillingEvent } from '../types';

export class ActivitySection extends LightElement {
  static override properties = { org: { attribute: false }, latest: { attribute: false }, latestCursor: { attribute: false }, older: { state: true }, olderCursor: { state: true } };
  declare org: string;
  declare latest: BillingEvent[];
  declare latestCursor: string | null;
  declare older: BillingEvent[];
  declare olderCursor: string | null | undefined;

  constructor() {
    super();
    this.older = [];
  }

  private async more(): Promise<void> {
    const cursor = this.olderCursor === undefined ? this.latestCursor : this.olderCursor;
    if (!cursor) return;
    const { body } = await api<{ events: BillingEvent[]; nextCursor: string | null }>('GET', orgPath(this.org, `/events?limit=20&cursor=${cursor}`));
    this.older = [...this.older, ...body.events];
    this.olderCursor = body.nextCursor;
  }

  override render() {
    // The live first page may overlap the older pages once new events push it down.
    const seen = new Set(this.latest.map((e) => e.id));
    const events = [...this.latest, ...this.older.filter((e) => !seen.has(e.id))];
    const hasMore = this.olderCursor === undefined ? this.latestCursor !== null : this.olderCursor !== null;
    return html`
      <section aria-labelledby="activity-heading">
        <h2 id="activity-heading">Activity</h2>
        ${events.length === 0
          ? html`<p>No activity yet.</p>`
          : html`<ol class="events">
              ${events.map((e) => html`<li><time datetime=${e.at}>${dateTime(e.at)}</time> <span>${e.message}</span></li>`)}
            </ol>`}
        ${hasMore ? html`<button type="button" class="secondary" @click=${this.more}>Show older activity</button>` : ''}
      </section>
    `;
  }
}

customElements.define('activity-section', ActivitySection);
