// The front-end modules this build loads, each called with its own part of the backend's
// moduleConfigurations (keyed by the npm package name without its scope: "fe-core", ...).
import { CoreModule } from "@openimis/fe-core";
import { HomeModule } from "@openimis/fe-home";
import { InvoiceModule } from "@openimis/fe-invoice";
import { PolicyHolderModule } from "@openimis/fe-policyholder";
import pkg from "../package.json";

const MODULES = [
  { npm: "@openimis/fe-core", factory: CoreModule },
  // fe-core sends a signed-in user to /home: the home page is this module's.
  { npm: "@openimis/fe-home", factory: HomeModule },
  { npm: "@openimis/fe-invoice", factory: InvoiceModule },
  { npm: "@openimis/fe-policyholder", factory: PolicyHolderModule },
];

export const configKey = (npm) => npm.split("/").pop();

export const moduleVersions = () => MODULES.map(({ npm }) => `${npm}@${pkg.dependencies[npm] ?? "?"}`);

export function loadModules(config = {}) {
  const loaded = [];
  for (const { npm, factory } of MODULES) {
    try {
      loaded.push(factory(config[configKey(npm)] || {}));
    } catch (error) {
      // A module that does not load is reported and skipped, the others still boot.
      console.error(`module ${npm} failed to load`, error);
      window.alert(`Failed to load module "${npm}": ${error}`);
    }
  }
  return loaded;
}
