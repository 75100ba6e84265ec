// Boots the openIMIS front end the way its assembly app does: ask the backend for the modules'
// configuration first (a failure is fatal), then load the modules with it, build the store from
// their reducers and middlewares and hand everything to fe-core's App.
import React, { Children, Component, useEffect, useState } from "react";
import ReactDOM from "react-dom";
import PropTypes from "prop-types";
import { LinearProgress, MuiThemeProvider } from "@material-ui/core";
import { MuiPickersUtilsProvider } from "@material-ui/pickers";
import MomentUtils from "@date-io/moment";
import { Provider } from "react-redux";
import { App, FatalError, apiHeaders, baseApiUrl } from "@openimis/fe-core";
import { LocalesManager } from "./locales";
import ModulesManager from "./modules-manager";
import makeStore from "./store";
import messages from "./messages";
import theme from "./theme";
import logo from "./logo.svg";

export const CONFIGURATION_QUERY = "{ moduleConfigurations { module, config, controls{ field, usage } } }";

async function fetchConfiguration() {
  const response = await fetch(`${baseApiUrl}/graphql`, {
    method: "post",
    headers: apiHeaders(),
    body: JSON.stringify({ query: CONFIGURATION_QUERY }),
  });
  if (!response.ok) throw response;
  const { data } = await response.json();
  const config = {};
  for (const entry of data.moduleConfigurations) {
    try {
      config[entry.module] = { controls: entry.controls, ...JSON.parse(entry.config) };
    } catch (error) {
      console.error(`configuration of ${entry.module} is not JSON`, error);
    }
  }
  return config;
}

// fe-core's withModulesManager() reads the manager from the legacy React context.
class LegacyModulesManagerContext extends Component {
  static childContextTypes = { modulesManager: PropTypes.object.isRequired };

  getChildContext() {
    return { modulesManager: this.props.modulesManager };
  }

  render() {
    return Children.only(this.props.children);
  }
}

function Root() {
  const [state, setState] = useState({ loading: true });

  useEffect(() => {
    fetchConfiguration().then(
      (config) => {
        const modulesManager = new ModulesManager(config);
        const reducers = {};
        for (const { key, reducer } of modulesManager.getContribs("reducers")) reducers[key] = reducer;
        const store = makeStore(reducers, modulesManager.getContribs("middlewares"));
        setState({ loading: false, modulesManager, store });
      },
      (error) => setState({ loading: false, error }),
    );
  }, []);

  if (state.loading) {
    return (
      <MuiThemeProvider theme={theme}>
        <LinearProgress />
      </MuiThemeProvider>
    );
  }
  if (state.error) {
    return <FatalError error={{ code: state.error.status, message: state.error.statusText }} />;
  }
  const { modulesManager, store } = state;
  return (
    <MuiThemeProvider theme={theme}>
      <Provider store={store}>
        <MuiPickersUtilsProvider utils={MomentUtils}>
          <LegacyModulesManagerContext modulesManager={modulesManager}>
            <App basename={process.env.PUBLIC_URL} localesManager={new LocalesManager()} messages={messages} logo={logo} />
          </LegacyModulesManagerContext>
        </MuiPickersUtilsProvider>
      </Provider>
    </MuiThemeProvider>
  );
}

ReactDOM.render(<Root />, document.getElementById("root"));
