// Credits used per day as stacked SVG bars (plan below, credit grants, wallet above): a few lines of SVG rather
// than a charting library, since one bar chart is all the page draws.
import { html, svg } from 'lit';
import { credits, date } from '../format';
import type { UsageDay } from '../types';

const WIDTH = 600;
const HEIGHT = 160;

export function usageChart(days: UsageDay[]) {
  const plan = days.reduce((sum, d) => sum + d.planCredits, 0);
  const wallet = days.reduce((sum, d) => sum + d.walletCredits, 0);
  const fromGrants = (d: UsageDay) => d.grantCredits ?? 0;
  const grants = days.reduce((sum, d) => sum + fromGrants(d), 0);
  const max = Math.max(1, ...days.map((d) => d.planCredits + fromGrants(d) + d.walletCredits));
  const step = WIDTH / Math.max(1, days.length);
  const bar = Math.min(24, Math.max(1, step * 0.7));
  const y = (n: number) => (n / max) * (HEIGHT - 4);
  const first = days[0]?.date;
  const last = days[days.length - 1]?.date;
  const fromGrantsText = grants > 0 ? `, ${credits(grants)} from credit grants` : '';
  const label = `Credits used per day from ${date(first)} to ${date(last)}: ${credits(plan)} from plan credits${fromGrantsText} and ${credits(wallet)} from the wallet`;
  return html`
    <figure class="chart">
      <div role="img" aria-label=${label}>
        <svg viewBox="0 0 ${WIDTH} ${HEIGHT}" preserveAspectRatio="none" aria-hidden="true">
          ${days.map((d, i) => {
            const x = i * step + (step - bar) / 2;
            const p = y(d.planCredits);
            const g = y(fromGrants(d));
            const w = y(d.walletCredits);
            return svg`<rect class="plan" x=${x} y=${HEIGHT - p} width=${bar} height=${p}></rect>
              <rect class="grant" x=${x} y=${HEIGHT - p - g} width=${bar} height=${g}></rect>
              <rect class="wallet" x=${x} y=${HEIGHT - p - g - w} width=${bar} height=${w}></rect>`;
          })}
        </svg>
      </div>
      <figcaption>
        <span class="key plan"></span> Plan credits · ${grants > 0 ? html`<span class="key grant"></span> Credit grants · ` : ''}<span class="key wallet"></span> Wallet · ${date(first)} – ${date(last)}, peak
        ${credits(max === 1 && plan + grants + wallet === 0 ? 0 : max)} a day
      </figcaption>
    </figure>
  `;
}
