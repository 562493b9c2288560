/** Home and login pages: who sees what, and where a cadre without a session goes. */
import Home from '../../../src/pages/index/index.vue'
import Login from '../../../src/pages/login/index.vue'
import { setToken } from '../../../src/api/session'
import { fakeUni, json } from '../fakes/uni'
import { showPage, stateOf } from './helpers'

const person = { id: 1, name: '张伟', unit: { code: 'FGW', name: '市发改委' }, staff_category: 'staff', staff_category_label: '在编', phone: '138****0001', id_card: null, wechat_bound: true, is_active: true, employee_no: 'E1' }

function homeBackend(roles: string[]) {
  fakeUni().answer(json(200, { ...person, roles }))
}

test('without a session the home page sends the cadre to login', async () => {
  await showPage(Home)

  expect(fakeUni().navigations).toEqual(['reLaunch:/pages/login/index'])
  expect(fakeUni().requests).toHaveLength(0)
})

test('home greets the cadre and lists their services, without technician tasks for others', async () => {
  setToken('tok')
  homeBackend([])

  const wrapper = await showPage(Home)

  expect(wrapper.text()).toContain('张伟')
  expect(wrapper.text()).toContain('市发改委 · 在编')
  const tiles = wrapper.findAll('[data-tile]').map((t) => t.attributes('data-tile'))
  expect(tiles).toEqual(expect.arrayContaining(['paycode', 'booking', 'repair']))
  expect(tiles).not.toContain('tasks')
})

test('a repair team\'s technician also sees 维修任务, even before any task', async () => {
  setToken('tok')
  homeBackend(['repairs.technician'])

  const wrapper = await showPage(Home)

  expect(wrapper.findAll('[data-tile]').map((t) => t.attributes('data-tile'))).toContain('tasks')
  expect(fakeUni().requests.map((r) => r.url)).toEqual(['/mp/v1/me'])
})

test('H5 with the WeChat stand-in goes to 演示登录', async () => {
  fakeUni().answer(json(200, { wechat: 'standin' }))

  await showPage(Login)

  expect(fakeUni().navigations).toEqual(['redirectTo:/pages/login/standin'])
})

test('H5 where WeChat login is configured says to open it in WeChat', async () => {
  fakeUni().answer(json(200, { wechat: 'configured' }))

  const wrapper = await showPage(Login)

  expect(stateOf(wrapper)).toBe('open-in-wechat')
  expect(wrapper.text()).toContain('请在微信中打开')
})

test('H5 where WeChat login is absent says to contact the administrator', async () => {
  fakeUni().answer(json(200, { wechat: 'absent' }))

  const wrapper = await showPage(Login)

  expect(wrapper.text()).toContain('微信登录尚未配置，请联系管理员')
})

test('a login page that cannot reach the backend offers to try again', async () => {
  fakeUni().answer(() => 'network-error')

  const wrapper = await showPage(Login)

  expect(stateOf(wrapper)).toBe('failed')
  expect(wrapper.text()).toContain('网络连接失败')
})
