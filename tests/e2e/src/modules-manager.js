// The object fe-core and its modules call `modulesManager`: contributions by key, refs, reports,
// per-module configuration and field controls.
import { moduleVersions, loadModules } from "./modules";
import pkg from "../package.json";

const asList = (value) => (value === undefined || value === null ? [] : Array.isArray(value) ? value : [value]);

export default class ModulesManager {
  constructor(config) {
    this.cfg = config;
    this.modules = loadModules(config);
    this.contribs = new Map();
    // "<module>.<field>" -> usage bit mask, from the configurations' `controls`.
    this.controls = {};
    for (const [module, moduleConfig] of Object.entries(config)) {
      for (const control of asList(moduleConfig && moduleConfig.controls)) {
        this.controls[`${module}.${control.field}`] = control.usage;
      }
    }
    this.refs = {};
    for (const { key, ref } of this.getContribs("refs")) this.refs[key] = ref;
    this.reports = {};
    for (const report of this.getContribs("reports")) {
      if (!report.getParams || !report.isValid) console.error(`report ${report.key} lacks getParams/isValid`);
      this.reports[report.key] = report;
    }
  }

  getContribs(key) {
    if (!this.contribs.has(key)) {
      this.contribs.set(key, this.modules.flatMap((module) => asList(module[key])));
    }
    return this.contribs.get(key);
  }

  // Every menu entry ({id, text, icon, route, filter}) the modules contribute under
  // "<module>.MainMenu" keys; "core.MainMenu" holds the menus themselves, not entries.
  getMenuEntries() {
    if (!this.menuEntries) {
      const keys = new Set(this.modules.flatMap((module) => Object.keys(module)));
      this.menuEntries = [...keys]
        .filter((key) => key.endsWith(".MainMenu") && key !== "core.MainMenu")
        .flatMap((key) => this.getContribs(key));
    }
    return this.menuEntries;
  }

  getRef(key) {
    return this.refs[key];
  }

  getReport(key) {
    return this.reports[key];
  }

  getProjection(key) {
    const fields = this.getRef(key);
    return fields ? `{${fields.join(", ")}}` : "";
  }

  getConf(module, key, defaultValue = null) {
    const moduleConfig = this.cfg[module] || {};
    return moduleConfig[key] === undefined ? defaultValue : moduleConfig[key];
  }

  hideField(module, key) {
    return this.controls[`fe-${module}.${key}`] & 1;
  }

  getOpenIMISVersion() {
    return pkg.version;
  }

  getModulesVersions() {
    return moduleVersions();
  }
}
