// Organizations, cached in memory: they are created once and never change.
import type { Pool } from 'pg';
import { createOrgRows, findOrg, type OrgRecord } from '../store/orgs';

const MAX_CACHED = 100_000;

export class OrgStore {
  private readonly cache = new Map<string, OrgRecord>();

  constructor(private readonly db: Pool) {}

  async get(id: string): Promise<OrgRecord | undefined> {
    const cached = this.cache.get(id);
    if (cached) return cached;
    const org = await findOrg(this.db, id);
    return org ? this.remember(org) : undefined;
  }

  /** Undefined when the id is taken. */
  async create(org: { id: string; name: string; parentId: string | null }): Promise<OrgRecord | undefined> {
    const created = await createOrgRows(this.db, org);
    return created ? this.remember(created) : undefined;
  }

  private remember(org: OrgRecord): OrgRecord {
    if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(org.id, org);
    return org;
  }
}
