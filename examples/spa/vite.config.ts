import { defineConfig } from "vite";

// The SDK lives outside this folder; the dev server may read it.
export default defineConfig({
  server: { fs: { allow: [".", "../../clients/typescript/src"] } },
});
