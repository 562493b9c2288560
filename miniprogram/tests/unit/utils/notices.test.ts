/** Subscribe-message prompts: only on WeChat, only for templates the backend has configured. */
import { useSubscribePrompt } from '../../../src/utils/notices'
import { fakeUni, json, refusal } from '../fakes/uni'

test('on WeChat the cadre is asked for the configured templates of the notices to come', async () => {
  fakeUni().answer(json(200, { templates: { 'repairs.progress': 'TPL-R', 'shop.order': 'TPL-S', 'fleet.request': '' } }))
  const prompt = useSubscribePrompt(['repairs.progress', 'fleet.request'], 'mp-weixin')

  await prompt.prepare()
  await prompt.ask()

  expect(fakeUni().subscribeAsks).toEqual([['TPL-R']])
})

test('nothing is asked when the backend has no template configured', async () => {
  fakeUni().answer(json(200, { templates: { 'repairs.progress': '' } }))
  const prompt = useSubscribePrompt(['repairs.progress'], 'mp-weixin')

  await prompt.prepare()
  await prompt.ask()

  expect(fakeUni().subscribeAsks).toEqual([])
})

test('without the template ids the page goes on without asking', async () => {
  fakeUni().answer(refusal(404, 'common.not_found', '请求的资源不存在'))
  const prompt = useSubscribePrompt(['repairs.progress'], 'mp-weixin')

  await prompt.prepare()
  await prompt.ask()

  expect(fakeUni().subscribeAsks).toEqual([])
})

test('H5 has no subscribe messages and does not ask the backend', async () => {
  const prompt = useSubscribePrompt(['repairs.progress'], 'h5')

  await prompt.prepare()
  await prompt.ask()

  expect(fakeUni().requests).toEqual([])
  expect(fakeUni().subscribeAsks).toEqual([])
})
