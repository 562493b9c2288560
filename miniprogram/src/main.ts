/** App entry: the same Vue app for both builds (uni-app's createSSRApp is its required shape). */
import { createSSRApp } from 'vue'
import App from './App.vue'

export function createApp() {
  const app = createSSRApp(App)
  return { app }
}
