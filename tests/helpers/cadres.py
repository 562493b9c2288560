"""A cadre signed in through the WeChat stand-in: code → openid → bound by phone → a session."""


async def login(client, wechat, openid: str):
    return await client.post("/mp/v1/auth/login", json={"code": wechat.state.login_code_for(openid)})


async def bind(client, wechat, ticket: str, phone: str):
    return await client.post(
        "/mp/v1/auth/bind", json={"bind_ticket": ticket, "phone_code": wechat.state.phone_code_for(phone)}
    )


async def bound_token(client, wechat, openid="o-zhangwei", phone="13800000001") -> str:
    ticket = (await login(client, wechat, openid)).json()["bind_ticket"]
    return (await bind(client, wechat, ticket, phone)).json()["token"]
