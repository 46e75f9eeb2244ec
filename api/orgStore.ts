// Organizations in PostgreSQL, cached in memory: they are created once and never change.
import type { Pool } from 'pg';
import { createOrgRows, type OrgRow } from '../ledger/orgRows';

export interface OrgRecord {
  id: string;
  name: string;
  parentId: string | null;
  createdAt: string;
}

const toRecord = (row: OrgRow): OrgRecord => ({
  id: row.id,
  name: row.name,
  parentId: row.parent_id,
  createdAt: row.created_at.toISOString(),
});

const MAX_CACHED = 100_000;

export class OrgStore {
  private readonly cache = new Map<string, OrgRecord>();

  /**
   * @param handOver called for an organization of the previous design (no balance row yet):
   * resolves once its balance is in PostgreSQL.
   */
  constructor(
    private readonly db: Pool,
    private readonly handOver: (orgId: string) => Promise<void> = async () => undefined,
  ) {}

  async get(id: string): Promise<OrgRecord | undefined> {
    const cached = this.cache.get(id);
    if (cached) return cached;
    const { rows } = await this.db.query<OrgRow & { has_balance: boolean }>(
      `SELECT id, name, parent_id, created_at, EXISTS (SELECT 1 FROM balances b WHERE b.org_id = orgs.id) AS has_balance
       FROM orgs WHERE id = $1`,
      [id],
    );
    if (!rows[0]) return undefined;
    if (!rows[0].has_balance) await this.handOver(id);
    return this.remember(toRecord(rows[0]));
  }

  /** Undefined when the id is taken. */
  async create(org: { id: string; name: string; parentId: string | null }): Promise<OrgRecord | undefined> {
    const row = await createOrgRows(this.db, org);
    return row ? this.remember(toRecord(row)) : undefined;
  }

  private remember(org: OrgRecord): OrgRecord {
    if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(org.id, org);
    return org;
  }
}
