// A message shown after an action: a status or an alert, announced by screen readers.
import { html } from 'lit';

export type Notice = { kind: 'status' | 'alert'; text: string };

/** With `keepRegion`, an empty status region stays in the page, so the next notice is announced. */
export const noticeView = (notice: Notice | undefined, keepRegion = true) =>
  notice ? html`<p role=${notice.kind} class=${notice.kind}>${notice.text}</p>` : keepRegion ? html`<p role="status"></p>` : '';
