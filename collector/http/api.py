"""What the HTTP API answers about an operation's account: read from the accounts' last pass
(:class:`collector.accounts.service.AccountsService`), never recomputed per request.

A balance is the snapshot's ledger; a statement is built from the snapshot's account (as of
the pass's instant) and the statement inputs the same pass read (each period's energy, the
restatements), signed, and its digest recorded. Nothing on that path reads the store, and a
JSON statement is signed on the event loop (orjson: a few hundred microseconds), so an answer
never waits for a database round trip behind a flood of telemetry. The digest is written by
:class:`StatementRecorder` just after the answer, many in one transaction. Before the first
pass has finished both answer :class:`~collector.errors.AccountsNotReady` (503 with
``Retry-After``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from collector.accounts.mandatory_sale import OperationSales
from collector.accounts.mining_fee import OperationFees
from collector.accounts.service import AccountsService
from collector.config.keys import load_signing_key
from collector.config.model import Config
from collector.config.sections import OperationConfig
from collector.documents.statements import (
    sign,
    statement_from_inputs,
    statement_of_account,
)
from collector.errors import AccountsNotReady, StoreError, UnknownOperation
from collector.logs import FailureLog
from collector.metrics.contract import Metric
from collector.metrics.service import api_families
from collector.store.queries import Store
from remittance.account import OperationAccount
from remittance.pool_reports import Reconciliation, reconciliation_to_dict
from remittance.statement import Statement
from remittance.statement_json import statement_sha256

log = logging.getLogger(__name__)

_RECORDED_KEPT = 100_000  # bounds the memory of statements recorded
_RETRY_S = 1.0  # after the store refused a write

Served = tuple[str, str, datetime, str]  # operation, period, as_of, sha256


class StatementRecorder:
    """Writes the digest of each statement served (``Store.record_served_statements``) just
    after the answer, never before it: every digest served while a write is under way goes
    in the next one, so a burst of requests costs one transaction, and no answer waits for
    SQLite's one write lock, which telemetry's flushes hold most of the time under a flood.

    A statement needs no record to be checked: it is signed and carries its instant, and
    ``statement --as-of`` makes it again from the store. The record is the list of what was
    served. :meth:`close` (the HTTP server's stop) writes what is pending; while the store
    refuses writes, the digests wait in memory (``reservewatch_api_statement_records_pending``)
    and are written when it answers again.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._pending: dict[Served, None] = {}  # in the order served
        self._recorded: set[Served] = set()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._failures = FailureLog(log, "recording served statements")

    @property
    def pending(self) -> int:
        return len(self._pending)

    def record(self, served: Served) -> None:
        if served in self._recorded or served in self._pending:
            return  # asked again: already on record (or about to be)
        self._pending[served] = None
        self._start()

    def _start(self) -> None:
        if self._pending and (self._task is None or self._task.done()):
            self._task = asyncio.get_running_loop().create_task(
                self._write(), name="statement-recorder"
            )

    async def _write(self) -> None:
        while self._pending:
            batch = list(self._pending)
            try:
                await self._store.record_served_statements(batch)
            except StoreError as err:
                self._failures.failed(err)
                if self._closing:
                    log.error(
                        "statements served but not recorded",
                        extra={"count": len(self._pending), "error": str(err)},
                    )
                    return
                await asyncio.sleep(_RETRY_S)
                continue
            self._failures.succeeded()
            if len(self._recorded) + len(batch) > _RECORDED_KEPT:
                self._recorded.clear()
            for served in batch:
                del self._pending[served]
                self._recorded.add(served)

    async def close(self) -> None:
        """Write every digest still pending (one more attempt when the store refuses)."""
        self._closing = True
        self._start()
        if self._task is not None:
            await self._task
        self._closing = False


def _fee_balance(fees: OperationFees | None) -> dict[str, object]:
    """The balance's ``mining_fee`` (tenge, in tiyn): each quarter's fee and where it stands;
    nothing for an operation that owes none."""
    if fees is None:
        return {}
    return {
        "mining_fee": {
            "due_tiyn": fees.due_tiyn,
            "paid_tiyn": fees.paid_tiyn,
            "overdue_tiyn": fees.overdue_tiyn,
            "credit_tiyn": fees.credit_tiyn,
            **({"refused": fees.refused} if fees.refused else {}),
            "quarters": [
                {
                    "quarter": s.fee.quarter.label,
                    "declaration_deadline": s.declaration_deadline.isoformat(),
                    "payment_deadline": s.payment_deadline.isoformat(),
                    "ended": s.ended,
                    "due_tiyn": s.fee.due_tiyn,
                    "paid_tiyn": s.paid_tiyn,
                    "paid_late_tiyn": s.paid_late_tiyn,
                    "shortfall_tiyn": s.shortfall_tiyn,
                    "overdue_tiyn": s.overdue_tiyn,
                    "missing_sites": list(s.fee.missing),
                }
                for s in fees.standings
            ],
        }
    }


class AccountsApi:
    """The :class:`collector.http.server.Reports` the HTTP server serves."""

    def __init__(self, config: Config, store: Store, accounts: AccountsService) -> None:
        self._config = config
        self._store = store
        self._accounts = accounts
        self.recorder = StatementRecorder(store)
        self._key: tuple[tuple[int, int], Ed25519PrivateKey] | None = None  # (mtime, mode)

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

    def _signing_key(self) -> Ed25519PrivateKey:
        """The statement key, loaded again only when its file's mtime or mode changes (a key
        rotated in place is used from the next statement on; one made readable by others is
        refused by :func:`load_signing_key`)."""
        path = self._config.statement.signing_key_file
        try:
            status = path.stat() if path is not None else None
        except OSError:
            status = None  # load_signing_key says why
        stamp = None if status is None else (status.st_mtime_ns, status.st_mode)
        if stamp is not None and self._key is not None and self._key[0] == stamp:
            return self._key[1]
        key = load_signing_key(path)
        self._key = None if stamp is None else (stamp, key)
        return key

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
            **_fee_balance(self.fees(operation_id)),
            **self._pool_reports(operation_id),
            **({"mandatory_sale": sales.balance()} if (sales := self.sales(operation_id)) else {}),
        }

    def _pool_reports(self, operation_id: str) -> dict[str, object]:
        """The balance's ``pool_reports``: each month a pool's report covers, reconciled in the
        last pass, with its findings; nothing for an operation no report names."""
        months = self.pool_reports(operation_id)
        return {"pool_reports": [reconciliation_to_dict(m) for m in months]} if months else {}

    def pool_reports(self, operation_id: str) -> tuple[Reconciliation, ...]:
        """The operation's months of the pools' reports, reconciled in the last pass."""
        snapshot = self._accounts.snapshot
        return () if snapshot is None else snapshot.pool_reports.get(operation_id, ())

    async def _statement(self, operation: OperationConfig, period: str) -> Statement:
        """From the snapshot: the last pass's account and statement inputs (no read); from
        the store only for a period the pass read no inputs for (its account does not cover
        it: the statement then says which periods it does)."""
        account = self._account(operation.id)
        inputs = self._accounts.statement_inputs(operation.id)
        fees = self.fees(operation.id)
        reconciled = self.pool_reports(operation.id)
        sales = self.sales(operation.id)
        if inputs is not None and inputs.as_of == account.as_of and period in inputs.energy_wh:
            return statement_from_inputs(
                operation, period, account, inputs, fees=fees, reconciled=reconciled, sales=sales
            )
        return await statement_of_account(
            self._store,
            operation,
            period,
            account,
            self._accounts.issued_dues(operation.id),
            fees=fees,
            reconciled=reconciled,
            sales=sales,
        )

    def fees(self, operation_id: str) -> OperationFees | None:
        """The operation's digital-mining fee of the last pass (None: it owes none)."""
        snapshot = self._accounts.snapshot
        return None if snapshot is None else snapshot.mining_fees.get(operation_id)

    def sales(self, operation_id: str) -> OperationSales | None:
        """The operation's mandatory sale of the last pass (None: its terms set none)."""
        snapshot = self._accounts.snapshot
        return None if snapshot is None else snapshot.mandatory_sales.get(operation_id)

    async def statement_digest(self, operation_id: str, period: str) -> str:
        """The SHA-256 a statement of ``period`` carries (as of the last pass): what
        ``statement verify`` prints for each of its files."""
        statement = await self._statement(self._operation(operation_id), period)
        return statement_sha256(statement)

    async def statement(
        self, operation_id: str, period: str, fmt: str, language: str | None = None
    ) -> bytes:
        """A signed statement; a PDF in ``language`` (the portal's reader's), else the
        operation's (the data, and so its digest, is the same in every language)."""
        operation = self._operation(operation_id)
        statement = await self._statement(operation, period)
        key = self._signing_key()
        if fmt == "json":
            document = sign(statement, fmt, key)  # ~0.3 ms: not worth a thread's hand-over
        else:
            # Rendering a PDF takes tens of milliseconds, a CSV a few: off the event loop.
            language = language or operation.language
            document = await asyncio.to_thread(sign, statement, fmt, key, language)
        self.recorder.record((operation.id, period, statement.as_of, statement_sha256(statement)))
        return document

    async def close(self) -> None:
        """Write the digests of the statements served that are not yet recorded."""
        await self.recorder.close()

    NAMES = ("reservewatch_api_statement_records_pending",)

    def metric_families(self) -> Iterable[Metric]:
        return api_families(self.recorder.pending)
