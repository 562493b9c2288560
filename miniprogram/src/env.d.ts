/** Ambient types: Vue single-file components and the build-time constants vite.config.ts defines. */
declare module '*.vue' {
  import type { DefineComponent } from 'vue'
  const component: DefineComponent<object, object, unknown>
  export default component
}

declare namespace NodeJS {
  interface ProcessEnv {
    UNI_PLATFORM?: string
    HOUQIN_API_BASE?: string
  }
}
