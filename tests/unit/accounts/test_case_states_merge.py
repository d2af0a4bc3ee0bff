"""The cases' states known at an instant (collector/accounts/cases.py): the configuration's
and the imported ones merged, the configuration winning; an imported state whose day would
put the case's states out of order (the configuration edited since the import) is left out."""

from __future__ import annotations

from datetime import date

from collector.accounts.cases import merged_states, with_states
from collector.config.sections import IntakeCase, ReserveConfig
from collector.store.records import CaseStateRecord

ADDRESS = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
DESTINATION = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"


def _case(*states: dict[str, str]) -> IntakeCase:
    return IntakeCase.model_validate(
        {
            "case": "KZ-1",
            "addresses": [ADDRESS],
            "authority": "Agency",
            "order_ref": "s 1",
            "states": list(states),
        }
    )


def test_a_configured_state_wins_and_the_imported_others_join_in_order() -> None:
    case = _case({"state": "forfeited", "from": "2026-03-15", "order": "final 7"})
    imported = [
        CaseStateRecord("KZ-1", "released", date(2026, 4, 1), "release 3", DESTINATION),
        CaseStateRecord("KZ-1", "forfeited", date(2026, 3, 1), "another order"),
        CaseStateRecord("KZ-1", "order_pending", date(2026, 2, 20), ""),
        CaseStateRecord("KZ-2", "order_pending", date(2026, 1, 1), ""),  # another case's
    ]
    assert [(s.state, s.effective_from, s.order) for s in merged_states(case, imported)] == [
        ("order_pending", date(2026, 2, 20), ""),
        ("forfeited", date(2026, 3, 15), "final 7"),
        ("released", date(2026, 4, 1), "release 3"),
    ]


def test_an_imported_state_out_of_order_with_the_configured_ones_is_left_out() -> None:
    case = _case({"state": "forfeited", "from": "2026-03-15", "order": "final 7"})
    late_pending = CaseStateRecord("KZ-1", "order_pending", date(2026, 3, 20), "")
    assert [s.state for s in merged_states(case, [late_pending])] == ["forfeited"]


def test_the_histories_carry_the_merged_states_from_the_start_of_their_day() -> None:
    reserve = ReserveConfig.model_validate(
        {"time_zone": "Asia/Almaty", "intake": [_case().model_dump(by_alias=True)]}
    )
    imported = [CaseStateRecord("KZ-1", "forfeited", date(2026, 3, 15), "final 7")]
    [history] = with_states(reserve, imported).case_histories()
    assert [(c.state, c.effective_at.isoformat()) for c in history.changes] == [
        ("forfeited", "2026-03-14T19:00:00+00:00")
    ]
    assert with_states(reserve, []) is reserve
