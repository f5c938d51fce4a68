import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@herald/events';
import { AccountRequest } from '../domain/account-request.js';
import type { AccountRequestKind } from '../domain/account-request-kind.js';

interface AccountRequestRow {
  id: string;
  kind: AccountRequestKind;
  email: string;
  password_hash: string | null;
  display_name: string | null;
  created_at: Date;
}

/**
 * Stores account requests. `add` is the whole of what the request path does
 * with an address — one INSERT of the same text for every kind and every
 * address, and the request's event through the unit of work — so its cost
 * cannot depend on whether an account exists.
 */
@Injectable()
export class AccountRequestRepository {
  constructor(private readonly uow: UnitOfWork) {}

  async add(request: AccountRequest): Promise<void> {
    const s = request.state;
    await this.uow.manager.query(
      `INSERT INTO account_requests (id, kind, email, password_hash, display_name, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
      [s.id, s.kind, s.email, s.passwordHash, s.displayName, s.createdAt],
    );
    await this.uow.recordEventsOf(request);
  }

  /**
   * Takes the request out: deletes its row and returns it, or null when it is
   * gone (resolved before, or pruned). Inside the resolving transaction, so a
   * rollback puts it back, and a concurrent resolution of the same request
   * waits on the row and then finds nothing: each request is resolved once.
   */
  async take(id: string): Promise<AccountRequest | null> {
    const [rows] = (await this.uow.manager.query(
      `DELETE FROM account_requests WHERE id = $1 RETURNING id, kind, email, password_hash, display_name, created_at`,
      [id],
    )) as [AccountRequestRow[], number];
    const row = rows[0];
    return row
      ? AccountRequest.restore({
          id: row.id,
          kind: row.kind,
          email: row.email,
          passwordHash: row.password_hash,
          displayName: row.display_name,
          createdAt: row.created_at,
        })
      : null;
  }
}
