// Organizations in PostgreSQL, cached in memory: they are created once and never change.
import type { Pool } from 'pg';
import { createOrgRows, type OrgRow } from '../store/orgRows';

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

  constructor(private readonly db: Pool) {}

  async get(id: string): Promise<OrgRecord | undefined> {
    const cached = this.cache.get(id);
    if (cached) return cached;
    const { rows } = await this.db.query<OrgRow>('SELECT id, name, parent_id, created_at FROM orgs WHERE id = $1', [id]);
    return rows[0] ? this.remember(toRecord(rows[0])) : undefined;
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
