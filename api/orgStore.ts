// Organizations in PostgreSQL, cached in memory: they are created once and never change.
import type { Pool } from 'pg';

export interface OrgRecord {
  id: string;
  name: string;
  parentId: string | null;
  createdAt: string;
}

interface OrgRow {
  id: string;
  name: string;
  parent_id: string | null;
  created_at: Date;
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
    if (!rows[0]) return undefined;
    return this.remember(toRecord(rows[0]));
  }

  /** Undefined when the id is taken. */
  async create(org: { id: string; name: string; parentId: string | null }): Promise<OrgRecord | undefined> {
    const { rows } = await this.db.query<OrgRow>(
      `INSERT INTO orgs (id, name, parent_id) VALUES ($1, $2, $3)
       ON CONFLICT (id) DO NOTHING RETURNING id, name, parent_id, created_at`,
      [org.id, org.name, org.parentId],
    );
    return rows[0] ? this.remember(toRecord(rows[0])) : undefined;
  }

  private remember(org: OrgRecord): OrgRecord {
    if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(org.id, org);
    return org;
  }
}
