/** Font size choice: kept on the phone, and scaling every size the pages and wot-design-uni use. */
import { loadFontScale, pageStyleFor, setFontScale, useFontScale } from '../../../src/utils/fontScale'
import { fakeUni } from '../fakes/uni'

test('the chosen size survives a restart of the mini-program', () => {
  expect(useFontScale().scale.value).toBe('standard')
  fakeUni().storage.set('houqin.fontScale', 'extra')

  loadFontScale()

  expect(useFontScale().scale.value).toBe('extra')
})

test('an unknown stored value falls back to the standard size', () => {
  fakeUni().storage.set('houqin.fontScale', 'huge')

  loadFontScale()

  expect(useFontScale().scale.value).toBe('standard')
})

test('特大 scales the page and the component library sizes by 1.4', () => {
  const style = pageStyleFor(1.4)

  expect(style).toContain('--hq-font-scale: 1.4')
  expect(style).toContain('font-size: 21px')
  expect(style).toContain('--wot-fs-content: 20px')
  expect(style).toContain('--wot-cell-title-fs: 21px')
})

test('choosing a size stores it and changes the page style at once', () => {
  const { pageStyle } = useFontScale()
  setFontScale('large')

  expect(fakeUni().storage.get('houqin.fontScale')).toBe('large')
  expect(pageStyle.value).toContain('--hq-font-scale: 1.2')
})
