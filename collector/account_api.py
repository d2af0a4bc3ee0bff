"""What the HTTP API answers about an operation's account: read from the accounts' last pass
(:class:`collector.accounts.AccountsService`), never recomputed per request.

A balance is the snapshot's ledger; a statement is built from the snapshot's account (as of
the pass's instant), signed, and its digest recorded. Before the first pass has finished both
answer :class:`~collector.errors.AccountsNotReady` (503 with ``Retry-After``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from collector.accounts import AccountsService
from collector.config import Config, OperationConfig
from collector.errors import AccountsNotReady, UnknownOperation
from collector.statements import load_signing_key, sign, statement_of_account
from collector.store.queries import Store
from remittance.account import OperationAccount

_RECORDED_KEPT = 100_000  # bounds the memory of statements recorded


class AccountsApi:
    """The :class:`collector.http.Reports` the HTTP server serves."""

    def __init__(self, config: Config, store: Store, accounts: AccountsService) -> None:
        self._config = config
        self._store = store
        self._accounts = accounts
        # Statements recorded by this process: asking again for one (same operation, period,
        # instant and digest) writes nothing new, so it does not queue behind ingest's writes.
        self._recorded: set[tuple[str, str, str, str]] = set()

    def _operation(self, operation_id: str) -> OperationConfig:
        try:
            return self._config.operation(operation_id)
        except KeyError as err:
            raise UnknownOperation(operation_id) from err

    def account(self, operation_id: str) -> OperationAccount:
        """The operation's account from the last pass; AccountsNotReady before the first."""
        return self._account(operation_id)

    def _account(self, operation_id: str) -> OperationAccount:
        account = self._accounts.accounts.get(operation_id)
        if account is None:
            raise AccountsNotReady(f"{operation_id}: the accounts are not computed yet")
        return account

    async def balance(self, operation_id: str) -> Mapping[str, object]:
        self._operation(operation_id)
        account = self._account(operation_id)
        ledger = account.ledger
        return {
            "operation": operation_id,
            "as_of": account.as_of.isoformat(),
            "due_sat": ledger.total_due_sat,
            "remitted_sat": ledger.total_remitted_sat,
            "balance_sat": ledger.balance_sat,
            "credit_sat": ledger.credit_sat,
            "shortfall_sat": ledger.shortfall_sat,
            "overdue_seconds": ledger.overdue_seconds,
            "periods": [
                {
                    "period": s.label,
                    "deadline": s.deadline.isoformat(),
                    "due_sat": s.due_sat,
                    "settled_sat": s.settled_sat,
                    "unpaid_sat": s.unpaid_sat,
                    "deadline_passed": s.deadline_passed,
                }
                for s in ledger.settlements
            ],
        }

    async def statement_digest(self, operation_id: str, period: str) -> str:
        """The SHA-256 a statement of ``period`` carries (as of the last pass): what
        ``statement verify`` prints for each of its files."""
        operation = self._operation(operation_id)
        statement = await statement_of_account(
            self._store, operation, period, self._account(operation_id)
        )
        return statement.sha256()

    async def statement(self, operation_id: str, period: str, fmt: str) -> bytes:
        operation = self._operation(operation_id)
        account = self._account(operation_id)
        key = load_signing_key(self._config.statement.signing_key_file)
        statement = await statement_of_account(
            self._store, operation, period, account, self._accounts.issued_dues(operation.id)
        )
        # Signing and rendering (a PDF takes tens of milliseconds) off the event loop.
        document = await asyncio.to_thread(sign, statement, fmt, key, operation.language)
        digest = statement.sha256()
        recorded = (operation.id, period, statement.as_of.isoformat(), digest)
        if recorded not in self._recorded:
            await self._store.record_statement(operation.id, period, statement.as_of, digest)
            if len(self._recorded) >= _RECORDED_KEPT:
                self._recorded.clear()
            self._recorded.add(recorded)
        return document
