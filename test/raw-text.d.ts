/** Vite's `?raw` import: a fixture file's text, as it is on disk. */
declare module "*?raw" {
  const text: string;
  export default text;
}
