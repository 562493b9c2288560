"""An admin's change to a card is in the audit log with the state it replaced."""

from backend.accounts.models import Person
from backend.core.audit import CLI_ACTOR
from backend.core.models import AuditEntry
from backend.wallet.models import CardState
from backend.wallet.service import wallets
from tests.helpers import admin_token, bearer, seed_units_and_roster


async def test_cancelling_a_lost_card_is_audited_with_the_state_it_replaced(client, runtime):
    # given a card its holder reported lost (the holder's own step: not an admin write)
    await seed_units_and_roster(runtime.cipher)
    person = await Person.get(employee_no="D0001")
    card = await wallets.issue_card(CLI_ACTOR, person.id, "04A1B2C3")
    await wallets.change_card_state(person.id, card["id"], CardState.LOST)
    clerk = await admin_token(client, "cards", ["wallet.manage_card"])
    # when an admin cancels it
    cancelled = await client.post(
        f"/admin/v1/wallet/people/{person.id}/cards/{card['id']}/cancel", headers=bearer(clerk)
    )
    # then the audit log says it went from lost to cancelled, by that admin
    assert cancelled.status_code == 200
    entry = await AuditEntry.get(action="wallet.card_cancelled")
    assert (entry.actor_name, entry.object_id) == ("cards", str(card["id"]))
    assert entry.before == {"uid": "04A1B2C3", "state": "lost"}
    assert entry.after == {"uid": "04A1B2C3", "state": "cancelled"}
    assert not await AuditEntry.filter(action="wallet.card_lost").exists()
