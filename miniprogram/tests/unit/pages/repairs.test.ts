/** 随手拍 pages: the form's checks, one report per form however often it is sent, duplicates, steps. */
import { flushPromises } from '@vue/test-utils'
import NewReport from '../../../src/pkg-repairs/pages/new.vue'
import Detail from '../../../src/pkg-repairs/pages/detail.vue'
import Tasks from '../../../src/pkg-repairs/pages/tasks.vue'
import Mine from '../../../src/pkg-repairs/pages/mine.vue'
import { fakeUni, refusal } from '../fakes/uni'
import { showPage, stateOf } from './helpers'

const categories = { items: [{ id: 2, code: 'plumbing', name: '水电', is_active: true }] }
const locations = { items: [{ id: 5, name: '301', full_name: '1号楼 / 3层 / 301', is_active: true, depth: 2, kind: 'room', parent_id: 4 }] }

function formBackend(onSubmit: (request: { data?: unknown }) => { status: number; data?: unknown } | 'network-error') {
  fakeUni().answer((request) => {
    if (request.url === '/mp/v1/repairs/categories') return { status: 200, data: categories }
    if (request.url === '/mp/v1/repairs/locations') return { status: 200, data: locations }
    if (request.url.startsWith('/mp/v1/repairs/duplicates'))
      return { status: 200, data: { items: [{ id: 11, state: 'accepted', state_label: '已受理', description: '水龙头漏水', submitted_at: '', overdue: false }] } }
    return onSubmit(request)
  })
}

async function filledForm() {
  const wrapper = await showPage(NewReport)
  const vm = wrapper.vm as unknown as { categoryId: number; locationId: number; description: string; checkDuplicates(): Promise<void> }
  vm.categoryId = 2
  vm.locationId = 5
  vm.description = '卫生间水龙头漏水'
  return { wrapper, vm }
}

test('a report without a category is not sent and the form says what is missing', async () => {
  formBackend(() => ({ status: 500 }))
  const wrapper = await showPage(NewReport)

  await wrapper.find('[data-action="submit"]').trigger('click')

  expect(fakeUni().toasts).toEqual(['请选择报修类别'])
  expect(fakeUni().requests.filter((r) => r.method === 'POST')).toHaveLength(0)
})

test('a double tap files one report, with a client_ref the backend accepts', async () => {
  formBackend(() => ({ status: 201, data: { id: 42, state: 'submitted' } }))
  const { wrapper } = await filledForm()

  await wrapper.find('[data-action="submit"]').trigger('click')
  await wrapper.find('[data-action="submit"]').trigger('click')
  await flushPromises()

  const posts = fakeUni().requests.filter((r) => r.method === 'POST')
  expect(posts).toHaveLength(1)
  expect(posts[0].data).toMatchObject({ category_id: 2, location_id: 5, description: '卫生间水龙头漏水', photo_ids: [] })
  expect((posts[0].data as { client_ref: string }).client_ref).toMatch(/^[A-Za-z0-9_-]{8,64}$/)
  expect(fakeUni().navigations).toEqual(['redirectTo:/pkg-repairs/pages/detail?id=42'])
})

test('resending after a lost answer uses the same client_ref, so the backend files it once', async () => {
  let attempts = 0
  formBackend(() => (++attempts === 1 ? 'network-error' : { status: 200, data: { id: 42, state: 'submitted' } }))
  fakeUni().modalAnswers.push(true)
  const { wrapper } = await filledForm()

  await wrapper.find('[data-action="submit"]').trigger('click')
  await flushPromises()

  const refs = fakeUni().requests.filter((r) => r.method === 'POST').map((r) => (r.data as { client_ref: string }).client_ref)
  expect(refs).toHaveLength(2)
  expect(refs[1]).toBe(refs[0])
})

test('open reports of the same kind in the same place are shown before filing', async () => {
  formBackend(() => ({ status: 500 }))
  const { wrapper, vm } = await filledForm()

  await vm.checkDuplicates()
  await flushPromises()

  expect(stateOf(wrapper)).toBe('duplicates')
  expect(wrapper.text()).toContain('同一地点已有 1 条同类报修正在处理')
  expect(wrapper.text()).toContain('水龙头漏水')
})

const detail = {
  id: 42,
  state: 'resolved',
  state_label: '待确认',
  category: { id: 2, code: 'plumbing', name: '水电' },
  location: '1号楼 / 3层 / 301',
  location_id: 5,
  spot: '',
  description: '卫生间水龙头漏水',
  reporter: { id: 1, name: '张伟' },
  assignee: { id: 7, name: '李师傅' },
  overdue: false,
  rating: null,
  rating_comment: '',
  photos: [],
  timeline: [{ at: '2026-12-08T09:00:00+08:00', action: 'submit', label: '提交报修', from_state: '', to_state: 'submitted', actor: '张伟', actor_kind: 'cadre', note: '', photos: [] }],
  actions: ['confirm', 'reopen'],
  parts: [],
}

test('the detail shows the timeline and only the steps the backend allows', async () => {
  fakeUni().answer(() => ({ status: 200, data: detail }))

  const wrapper = await showPage(Detail, { id: '42' })

  expect(wrapper.text()).toContain('提交报修')
  expect(wrapper.findAll('[data-action]').map((b) => b.attributes('data-action'))).toEqual(['confirm', 'reopen'])
  expect(fakeUni().requests[0].url).toBe('/mp/v1/repairs/42')
})

test('confirming sends the rating and shows the report as it now stands', async () => {
  fakeUni().answer(
    () => ({ status: 200, data: detail }),
    () => ({ status: 200, data: { ...detail, state: 'closed', state_label: '已完结', rating: 4, actions: [] } }),
  )
  const wrapper = await showPage(Detail, { id: '42' })
  await wrapper.find('[data-action="confirm"]').trigger('click')
  const vm = wrapper.vm as unknown as { form: { rating: number; note: string }; finish(): void }
  vm.form.rating = 4
  vm.finish()
  await flushPromises()

  const post = fakeUni().requests[1]
  expect(post.url).toBe('/mp/v1/repairs/42/confirm')
  expect(post.data).toEqual({ rating: 4, comment: '' })
  expect(wrapper.find('[data-field="state"]').text()).toContain('已完结')
})

test('a step the backend refuses shows its reason', async () => {
  fakeUni().answer(() => ({ status: 200, data: { ...detail, state: 'accepted', actions: ['start'] } }), refusal(409, 'repairs.state_changed', '报修单状态已变化，请刷新后重试'))
  const wrapper = await showPage(Detail, { id: '42' })

  await wrapper.find('[data-action="start"]').trigger('click')
  await flushPromises()

  expect(fakeUni().toasts).toEqual(['报修单状态已变化，请刷新后重试'])
})

test('a technician without tasks is told that new ones will appear here', async () => {
  fakeUni().answer(() => ({ status: 200, data: { items: [], total: 0, page: 1, page_size: 20 } }))

  const wrapper = await showPage(Tasks)

  expect(stateOf(wrapper)).toBe('empty')
  expect(wrapper.text()).toContain('目前没有派给您的维修任务')
  expect(fakeUni().requests[0].url).toBe('/mp/v1/repairs?page=1&page_size=20&role=technician')
})

test('my reports list each report with its state, and a tap opens its timeline', async () => {
  const { photos: _photos, timeline: _timeline, actions: _actions, parts: _parts, ...listed } = detail
  fakeUni().answer(() => ({ status: 200, data: { items: [{ ...listed, overdue: true }], total: 1, page: 1, page_size: 20 } }))

  const wrapper = await showPage(Mine)
  await wrapper.find('.wd-cell').trigger('click')

  expect(wrapper.text()).toContain('水电 · 待确认（已超时）')
  expect(wrapper.text()).toContain('卫生间水龙头漏水')
  expect(fakeUni().navigations).toEqual(['navigateTo:/pkg-repairs/pages/detail?id=42'])
})

test('no reports yet: the page offers to take a photo and report', async () => {
  fakeUni().answer(() => ({ status: 200, data: { items: [], total: 0, page: 1, page_size: 20 } }))

  const wrapper = await showPage(Mine)
  await wrapper.find('[data-state="empty"] button').trigger('click')

  expect(wrapper.text()).toContain('拍张照片就能报修')
  expect(fakeUni().navigations).toEqual(['navigateTo:/pkg-repairs/pages/new'])
})
