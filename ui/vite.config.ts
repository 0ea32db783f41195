/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The API serves ui/dist; in development the dev server forwards /api to a running API.
export default defineConfig({
  plugins: [react()],
  server: {
    port: 5173,
    proxy: { "/api": { target: process.env.SHOPOPS_API ?? "http://127.0.0.1:8000", changeOrigin: false } },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    chunkSizeWarningLimit: 1000,
    rollupOptions: {
      // Libraries change less often than our code: separate files stay cached across releases.
      output: {
        manualChunks: {
          react: ["react", "react-dom", "react-router-dom"],
          mantine: ["@mantine/core", "@mantine/hooks", "@mantine/dates", "@mantine/notifications", "dayjs"],
          tanstack: ["@tanstack/react-query", "@tanstack/react-virtual"],
          charts: ["@mantine/charts", "recharts"],
        },
      },
    },
  },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    css: false,
    pool: "threads",
    poolOptions: { threads: { maxThreads: 2, minThreads: 1 } },
    // a whole-app page test takes 1–2.5 s alone; on a shared 2-core machine under load it took
    // over the default 5 s, failing tests that pass
    testTimeout: 20_000,
  },
});
