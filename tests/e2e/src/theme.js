// Material-UI theme. Besides the standard palette, fe-core's components read a few custom theme
// sections (menu, page, paper, table, dialog, jrnlDrawer, fab, ...): each gets a plain value here.
import { createTheme } from "@material-ui/core";

const INK = "#1f3a5f";
const PALE = "#eef2f7";
const HEADER = "#d5dfeb";

export default createTheme({
  palette: {
    primary: { main: INK },
    secondary: { main: "#ffffff", second: "#ffffff" },
    error: { main: "#9b1c1c" },
    text: { primary: INK, secondary: INK, second: "#ffffff", error: "#9b1c1c" },
  },
  typography: {
    fontFamily: "Roboto, Arial, sans-serif",
    fontSize: 14,
    title: { fontSize: 20 },
    label: { color: "gray" },
  },
  menu: {
    variant: "AppBar",
    appBar: { fontSize: 15 },
    drawer: { width: 280, fontSize: 15, backgroundColor: INK, textColor: "#ffffff" },
  },
  jrnlDrawer: { open: { width: 420 }, close: { width: 72 }, itemDetail: { marginLeft: 6 }, iconSize: 22 },
  page: { padding: 12, locked: { background: "#e5e5e5" } },
  paper: {
    paper: { margin: 8, backgroundColor: PALE },
    header: { color: INK, backgroundColor: HEADER },
    message: { backgroundColor: HEADER },
    title: { padding: 8, fontSize: 22, color: INK, backgroundColor: HEADER },
    action: { padding: 4 },
    divider: { padding: 0, margin: 0 },
    body: { marginTop: 8, backgroundColor: PALE },
    item: { padding: 8 },
  },
  table: {
    title: { padding: 8, fontWeight: 500, color: INK, backgroundColor: HEADER },
    header: { color: INK },
    headerAction: { padding: 4 },
    row: { color: INK, "&:hover": { background: "rgba(0, 0, 0, 0.1) !important" } },
    cell: { padding: 4 },
    lockedRow: { background: "#e5e5e5" },
    lockedCell: {},
    highlightedRow: {},
    highlightedCell: { fontWeight: 500 },
    secondaryHighlightedRow: { backgroundColor: HEADER },
    secondaryHighlightedCell: {},
    highlightedAltRow: {},
    highlightedAltCell: { fontStyle: "italic" },
    disabledRow: {},
    disabledCell: { color: "gray" },
    footer: { color: INK },
    pager: { color: INK },
  },
  form: { spacing: 8 },
  formTable: { table: { color: INK }, actions: { color: INK }, header: { color: INK } },
  dialog: {
    title: { fontWeight: 500, color: "gray" },
    content: { padding: 0 },
    primaryButton: { backgroundColor: INK, color: "#ffffff", "&:hover": { backgroundColor: "#3d5a80" } },
    secondaryButton: {},
  },
  tooltipContainer: { position: "fixed", bottom: 16, right: 8, zIndex: 2000, display: "flex", flexDirection: "column" },
  flexTooltip: { marginBottom: 4 },
  fab: { position: "fixed", bottom: 16, right: 8, zIndex: 2000 },
  fakeInput: {},
  bigAvatar: { width: 120, height: 120 },
  buttonContainer: { horizontal: { display: "flex", flexWrap: "nowrap", justifyContent: "flex-end" } },
});
