"""Use converted to standard coal with GB/T 2589-2020's equivalent values and to CO₂ with the
configurable grid factor and the guideline's gas and heat factors, in integers rounded half up."""

from backend.energy.config import EnergySettings
from backend.energy.models import MeterKind
from backend.energy.service.indicators import amount_text, co2_grams, kgce_milli

DEFAULT = EnergySettings()


def test_kgce_uses_the_national_equivalent_coefficients():
    assert kgce_milli(MeterKind.ELECTRICITY, 1_000_000) == 122_900  # 1,000 kWh -> 122.9 kgce
    assert kgce_milli(MeterKind.GAS, 1_000_000) == 1_214_300  # 1,000 m³ -> 1,214.3 kgce
    assert kgce_milli(MeterKind.HEAT, 1_000) == 34_120  # 1 GJ -> 34.12 kgce
    assert kgce_milli(MeterKind.WATER, 1_000_000) == 0


def test_conversions_round_half_up_to_the_gram():
    assert kgce_milli(MeterKind.ELECTRICITY, 5) == 1  # 0.6145 g
    assert kgce_milli(MeterKind.ELECTRICITY, 4) == 0  # 0.4916 g
    assert kgce_milli(MeterKind.GAS, 2) == 2  # 2.4286 g
    assert co2_grams(MeterKind.ELECTRICITY, 1, DEFAULT) == 1  # 0.5703 g
    assert co2_grams(MeterKind.GAS, 1, DEFAULT) == 2  # 2.1622 g


def test_co2_follows_the_grid_factor_setting_and_the_fixed_gas_and_heat_factors():
    assert co2_grams(MeterKind.ELECTRICITY, 1_000_000, DEFAULT) == 570_300  # 1,000 kWh at 0.5703 kg
    higher = EnergySettings.from_env({"ENERGY_GRID_CO2_KG_PER_KWH": "0.8"})
    assert co2_grams(MeterKind.ELECTRICITY, 1_000_000, higher) == 800_000
    assert co2_grams(MeterKind.GAS, 1_000, DEFAULT) == 2_162  # 1 m³ -> 2.1622 kg
    assert co2_grams(MeterKind.HEAT, 1_000, DEFAULT) == 110_000  # 1 GJ -> 110 kg
    assert co2_grams(MeterKind.WATER, 1_000, DEFAULT) == 0


def test_amounts_read_in_the_kinds_measure():
    assert amount_text(MeterKind.ELECTRICITY, 1_234_567) == "1,234.567 千瓦时"
    assert amount_text(MeterKind.HEAT, 500) == "0.500 吉焦"
