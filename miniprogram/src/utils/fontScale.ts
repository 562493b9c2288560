/**
 * Elderly-friendly font size (标准/大/特大): one choice kept in storage and applied to every page
 * as CSS variables on its root through <page-meta page-style>, which wot-design-uni's sizes read.
 */
import { computed, ref } from 'vue'

export type FontScale = 'standard' | 'large' | 'extra'

export const FONT_SCALES: { value: FontScale; label: string; factor: number }[] = [
  { value: 'standard', label: '标准', factor: 1 },
  { value: 'large', label: '大', factor: 1.2 },
  { value: 'extra', label: '特大', factor: 1.4 },
]

const STORAGE_KEY = 'houqin.fontScale'
const current = ref<FontScale>('standard')

export function loadFontScale(): void {
  const stored = uni.getStorageSync(STORAGE_KEY) as string
  current.value = FONT_SCALES.some((s) => s.value === stored) ? (stored as FontScale) : 'standard'
}

export function setFontScale(scale: FontScale): void {
  current.value = scale
  uni.setStorageSync(STORAGE_KEY, scale)
}

/** The page-style of a factor: our own variable plus the wot-design-uni sizes pages use. */
export function pageStyleFor(factor: number): string {
  const px = (base: number) => `${Math.round(base * factor)}px`
  return [
    `--hq-font-scale: ${factor}`,
    '--wot-color-theme: #c8102e',
    `font-size: ${px(15)}`,
    `--wot-fs-big: ${px(24)}`,
    `--wot-fs-important: ${px(19)}`,
    `--wot-fs-title: ${px(16)}`,
    `--wot-fs-content: ${px(14)}`,
    `--wot-fs-secondary: ${px(12)}`,
    `--wot-fs-aid: ${px(10)}`,
    `--wot-cell-title-fs: ${px(15)}`,
    `--wot-cell-label-fs: ${px(13)}`,
    `--wot-cell-value-fs: ${px(15)}`,
    `--wot-input-fs: ${px(15)}`,
    `--wot-textarea-fs: ${px(15)}`,
    `--wot-button-medium-fs: ${px(15)}`,
    `--wot-button-large-fs: ${px(17)}`,
  ].join('; ')
}

export function useFontScale() {
  const factor = computed(() => FONT_SCALES.find((s) => s.value === current.value)?.factor ?? 1)
  return { scale: current, pageStyle: computed(() => pageStyleFor(factor.value)) }
}
