import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'packages/**/*.test.ts', 'apps/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 600_000,
    // Two cores: VM tests must not compete with each other for the CPU.
    fileParallelism: false,
  },
});
