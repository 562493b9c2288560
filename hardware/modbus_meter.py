"""Modbus TCP energy meters: the cumulative register read through the model's register map, the
supply relay on a coil (on = supplied).

A meter that refuses the connection or does not answer within `timeout` is `disconnected`; one that
answers with a Modbus exception (a register or coil the model does not have, a wrong unit id behind
a gateway) or with registers that cannot be a reading is `error`. A Modbus meter has no protected
state: `read_switch` always says `protected=False`.
"""

from __future__ import annotations

from pymodbus import ModbusException
from pymodbus.client import AsyncModbusTcpClient
from pymodbus.exceptions import ModbusIOException

from hardware.meters import MeterRead, RegisterMap, SwitchRead
from hardware.status import OK, DeviceState, DeviceStatus

# Modbus exception codes a meter or its gateway answers, in words people can act on.
_EXCEPTIONS = {
    1: "电表不支持该功能码",
    2: "电表没有该寄存器或线圈地址，请检查型号的寄存器设置",
    3: "电表认为请求的数值无效",
    4: "电表内部故障",
    6: "电表忙，稍后再试",
    10: "网关没有通往该电表的路径",
    11: "网关后的电表没有应答",
}


class _Fault(Exception):
    def __init__(self, status: DeviceStatus):
        self.status = status


class ModbusMeter:
    def __init__(self, host: str, port: int, unit: int, register_map: RegisterMap, *, timeout: float = 3.0):
        self.host, self.port, self.unit = host, port, unit
        self.register_map, self.timeout = register_map, timeout
        self.name = f"Modbus 电表 {host}:{port} 从站 {unit}"
        # The client needs a running event loop, so it is made at first use.
        self._client: AsyncModbusTcpClient | None = None

    async def read(self) -> MeterRead:
        regs = self.register_map
        method = "read_holding_registers" if regs.function == "holding" else "read_input_registers"
        try:
            response = await self._request(method, regs.address, count=regs.words)
        except _Fault as fault:
            return MeterRead(fault.status, None, fault.status.message)
        try:
            milli = regs.to_milli(list(response.registers))
        except ValueError as exc:
            problem = f"{self.name}：{exc}"
            return MeterRead(DeviceStatus(DeviceState.ERROR, problem), None, problem)
        return MeterRead(OK, milli)

    async def read_switch(self) -> SwitchRead:
        coil = self.register_map.coil
        if coil is None:
            return SwitchRead(self._no_relay(), None)
        try:
            response = await self._request("read_coils", coil)
        except _Fault as fault:
            return SwitchRead(fault.status, None)
        return SwitchRead(OK, bool(response.bits[0]))

    async def switch(self, on: bool) -> DeviceStatus:
        coil = self.register_map.coil
        if coil is None:
            return self._no_relay()
        try:
            await self._request("write_coil", coil, on)
        except _Fault as fault:
            return fault.status
        return OK

    async def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def _no_relay(self) -> DeviceStatus:
        return DeviceStatus(DeviceState.ERROR, f"{self.name}：型号没有设置继电器线圈，不能通断")

    async def _request(self, method: str, address: int, *values: bool, count: int | None = None):
        if self._client is None:
            self._client = AsyncModbusTcpClient(
                self.host, port=self.port, timeout=self.timeout, retries=0, reconnect_delay=0
            )
        if not self._client.connected and not await self._client.connect():
            raise _Fault(DeviceStatus(DeviceState.DISCONNECTED, f"{self.name}：无法连接"))
        kwargs = {"device_id": self.unit} | ({} if count is None else {"count": count})
        try:
            response = await getattr(self._client, method)(address, *values, **kwargs)
        except ModbusException as exc:
            # Start afresh next time: a late answer to a timed-out request would otherwise be read
            # as the answer to the next one.
            self._client.close()
            problem = f"{self.timeout} 秒内没有应答" if isinstance(exc, ModbusIOException) else f"通信出错（{exc}）"
            raise _Fault(DeviceStatus(DeviceState.DISCONNECTED, f"{self.name}：{problem}")) from None
        if response.isError():
            code = response.exception_code
            words = _EXCEPTIONS.get(code, "电表拒绝了请求")
            raise _Fault(DeviceStatus(DeviceState.ERROR, f"{self.name}：{words}（Modbus 异常码 {code}）"))
        return response
