// Which translation file each user language loads. fe-core asks `getFileNameByLang(user.language)`
// and keeps only the module translations whose key equals the answer; the three modules we load
// ship English only, so every English variant maps to "en".
export const LOCALES = [{ languages: ["en", "en-GB", "en-US"], intl: "en-GB", fileNames: "en" }];

export class LocalesManager {
  constructor(locales = LOCALES) {
    this.fileByLanguage = new Map();
    for (const locale of locales) {
      for (const language of locale.languages) this.fileByLanguage.set(language, locale.fileNames);
    }
  }

  // The messages of the chosen file are injected as the default locale, like the assembly does.
  getLocale() {
    return "en";
  }

  getFileNameByLang(language) {
    return this.fileByLanguage.get(language);
  }
}
