// The redux store: the modules' reducers, thunks, redux-api-middleware (every API call of the
// modules is an RSAA action) and the modules' own middlewares; state kept in localStorage under
// "state" is restored at start.
import thunk from "redux-thunk";
import { applyMiddleware, combineReducers, createStore } from "redux";
import { apiMiddleware } from "redux-api-middleware";

function restoredState() {
  try {
    const saved = window.localStorage.getItem("state");
    return saved === null ? undefined : JSON.parse(saved);
  } catch {
    return undefined;
  }
}

export default function makeStore(reducers, middlewares = []) {
  return createStore(combineReducers(reducers), restoredState(), applyMiddleware(thunk, apiMiddleware, ...middlewares));
}
