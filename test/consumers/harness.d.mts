/** Types of harness.mjs (the consumer matrix), for test/e2e/consumers.spec.ts. */
export interface Served {
  url: string;
  close(): Promise<void>;
}
export type ConsumerBuild = (tarball: string, port: number) => Promise<{ dir: string } | Served>;
export const OUT: string;
export const CSP: string;
export const CONSUMERS: Readonly<Record<string, ConsumerBuild>>;
export function packTarball(): string;
export function serveStatic(dir: string, port: number): Promise<Served>;
