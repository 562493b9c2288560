"""The shared gates-and-visitors world builds: its gates, terminals and host are where tests expect them."""

from backend.access.models import Gate


async def test_access_world_has_three_gates_in_building_a(access_world):
    codes = await Gate.filter(building_id=access_world.building_id).order_by("code").values_list("code", flat=True)
    assert codes == ["G-A-IN", "G-A-OUT", "V-A-IN"]
    assert access_world.entry.device_id != access_world.exit.device_id
