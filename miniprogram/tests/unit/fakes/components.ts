/**
 * wot-design-uni components stand-ins for jsdom: they render their text and slots as plain HTML
 * (so tests read what a person sees) and pass clicks through; the real components are exercised
 * by the builds and the end-to-end test in Chromium.
 */
import { config } from '@vue/test-utils'
import { defineComponent, h } from 'vue'
import { fakeUni } from './uni'
import { forgetHooks } from './uniApp'

const passThrough = (tag: string) =>
  defineComponent({
    inheritAttrs: true,
    setup(_, { slots }) {
      return () => h(tag, {}, slots.default?.())
    },
  })

const WdButton = defineComponent({
  props: { disabled: Boolean, loading: Boolean },
  emits: ['click'],
  setup(props, { slots, emit }) {
    return () => h('button', { disabled: props.disabled, onClick: () => !props.disabled && emit('click') }, slots.default?.())
  },
})

const WdCell = defineComponent({
  props: { title: String, label: String, value: [String, Number] },
  emits: ['click'],
  setup(props, { slots, emit }) {
    return () =>
      h('div', { class: 'wd-cell', onClick: () => emit('click') }, [
        h('span', { class: 'wd-cell__title' }, props.title),
        props.label ? h('span', { class: 'wd-cell__label' }, props.label) : null,
        props.value !== undefined ? h('span', { class: 'wd-cell__value' }, String(props.value)) : null,
        slots.default?.(),
      ])
  },
})

config.global.stubs = {
  'wd-button': WdButton,
  'wd-cell': WdCell,
  'wd-cell-group': passThrough('section'),
  'wd-loading': passThrough('i'),
  'wd-loadmore': passThrough('footer'),
  'wd-popup': passThrough('aside'),
  'wd-picker': true,
  'wd-input': true,
  'wd-textarea': true,
  'wd-rate': true,
  'wd-radio-group': passThrough('div'),
  'wd-radio': passThrough('label'),
  'wd-datetime-picker': true,
  'wd-icon': true,
}

beforeEach(() => {
  fakeUni().reset()
  forgetHooks()
})
