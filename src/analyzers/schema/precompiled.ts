/**
 * Precompiled validators bundled into dist/mesh.cjs. The bundle's entry (written by scripts/bundle.mjs)
 * registers one loader per validator module so that esbuild includes them (and the code cache covers
 * them); each module is still only evaluated when its kind is first validated. Without a bundle (tests,
 * dist/ from tsc), nothing is registered and validators are read from dist/validators/.
 */
export type ValidatorLoader = () => unknown;

let bundled: Readonly<Record<string, ValidatorLoader>> = {};

/** Called once by the bundle entry, with loaders keyed by validator module name (`virtualservice.cjs`). */
export function registerBundledValidators(loaders: Readonly<Record<string, ValidatorLoader>>): void {
  bundled = loaders;
}

export function bundledValidator(moduleName: string): ValidatorLoader | undefined {
  return Object.prototype.hasOwnProperty.call(bundled, moduleName) ? bundled[moduleName] : undefined;
}
