// Exactly-once, after every phase: every event answered 202 is one row of usage_events and one credit debited, no more.
import type { LayoutRun } from './layoutRun';
import { sum, thousands } from './numbers';

/** The service's organizations: accepted, rows and debited by organization, and the mismatches. */
async function checkService(run: LayoutRun) {
  const { rows } = await run.stack.db.query<{ org_id: string; events: number; debited: number }>(
    `SELECT o.id AS org_id,
            (SELECT COUNT(*) FROM usage_events u WHERE u.org_id = o.id)::int AS events,
            COALESCE((SELECT -SUM(l.credits) FROM ledger_entries l WHERE l.org_id = o.id AND l.kind = 'usage'), 0)::bigint AS debited
     FROM unnest($1::text[]) AS o(id)`,
    [run.created],
  );
  const { accepted } = run;
  const eventsAccepted = sum(accepted.values());
  const eventRows = sum(rows.map((r) => Number(r.events)));
  const creditsDebited = sum(rows.map((r) => Number(r.debited)));
  const mismatches = rows
    .filter((r) => Number(r.events) !== (accepted.get(r.org_id) ?? 0) || Number(r.debited) !== (accepted.get(r.org_id) ?? 0))
    .map((r) => ({ orgId: r.org_id, accepted: accepted.get(r.org_id) ?? 0, rows: Number(r.events), debited: Number(r.debited) }));
  const ok = mismatches.length === 0 && eventsAccepted === eventRows && eventRows === creditsDebited;
  return { ok, orgsChecked: run.created.length, eventsAccepted, eventRows, creditsDebited, mismatches: mismatches.slice(0, 5) };
}

/** The peer's tables against the events it accepted. */
async function checkPeer(run: LayoutRun) {
  const peerRows = await run.stack.db.query<{ events: number; debited: number }>(
    `SELECT (SELECT COUNT(*) FROM bench_baseline_events)::int AS events, (SELECT COALESCE(-SUM(credits), 0) FROM bench_baseline_balances)::bigint AS debited`,
  );
  const peerCheck = { eventsAccepted: run.peerAccepted, eventRows: Number(peerRows.rows[0].events), creditsDebited: Number(peerRows.rows[0].debited) };
  const ok = peerCheck.eventsAccepted === peerCheck.eventRows && peerCheck.eventRows === peerCheck.creditsDebited;
  return { ok, ...peerCheck };
}

export async function checkExactlyOnce(run: LayoutRun): Promise<void> {
  const { figures } = run;
  const service = await checkService(run);
  const peer = await checkPeer(run);
  figures.checks.exactlyOnce = service.ok && peer.ok;
  figures.service.exactlyOnce = service;
  figures.peer.exactlyOnce = peer;
  const verdict = service.ok ? 'holds' : '*** FAILED ***';
  console.log(`  exactly-once ${verdict}: ${thousands(service.eventsAccepted)} events accepted (202), ${thousands(service.eventRows)} rows in usage_events, ${thousands(service.creditsDebited)} credits debited; the peer ${peer.ok ? 'holds' : '*** FAILED ***'} (${thousands(peer.eventsAccepted)} / ${thousands(peer.eventRows)} / ${thousands(peer.creditsDebited)})`);
  if (!service.ok || !peer.ok) {
    console.error(`\n*** EXACTLY-ONCE FAILED in layout ${figures.layout} ***`);
    console.error(JSON.stringify({ service: figures.service.exactlyOnce, peer: figures.peer.exactlyOnce }, null, 2));
  }
}
