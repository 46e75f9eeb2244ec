// Boot: exchange the link's one-time code for the session cookie, take the code out of the
// address bar (and so out of history), then show the portal.
import { html, render } from 'lit';
import { api, ApiFailure } from './api';
import './billing-portal';
import './styles.css';
import type { Session } from './types';

const root = document.getElementById('app')!;
// Lit renders beside what is there: the static "Loading…" goes first.
const show = (view: unknown) => {
  root.replaceChildren();
  render(view, root);
};

async function openSession(): Promise<Session> {
  const url = new URL(location.href);
  const code = url.searchParams.get('code');
  if (code === null) return (await api<Session>('GET', '/portal/session')).body;
  url.searchParams.delete('code');
  history.replaceState(null, '', url.pathname + url.search + url.hash);
  return (await api<Session>('POST', '/portal/session', { code })).body;
}

openSession().then(
  (session) => show(html`<billing-portal .session=${session}></billing-portal>`),
  (err: unknown) => {
    const message =
      err instanceof ApiFailure && err.status !== 0
        ? 'This billing link is invalid or has expired. Go back to the application and open the billing page again.'
        : 'The billing service cannot be reached. Try again in a moment.';
    show(html`<h1>Billing</h1><p role="alert">${message}</p>`);
  },
);
