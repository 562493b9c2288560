/** Jest: pages and components render in jsdom through vue3-jest, with one shared fake `uni`. */
module.exports = {
  testEnvironment: 'jsdom',
  testEnvironmentOptions: { customExportConditions: ['node', 'node-addons'] },
  roots: ['<rootDir>/tests/unit'],
  moduleFileExtensions: ['ts', 'js', 'json', 'vue'],
  transform: {
    '^.+\\.vue$': '@vue/vue3-jest',
    '^.+\\.[jt]s$': 'babel-jest',
  },
  moduleNameMapper: {
    '^@dcloudio/uni-app$': '<rootDir>/tests/unit/fakes/uniApp.ts',
  },
  setupFiles: ['<rootDir>/tests/unit/fakes/uni.ts'],
  setupFilesAfterEnv: ['<rootDir>/tests/unit/fakes/components.ts'],
  globals: {
    'vue-jest': {
      compilerOptions: {
        isCustomElement: (tag) => ['page-meta', 'view', 'text', 'image', 'canvas', 'button'].includes(tag),
      },
    },
  },
}
