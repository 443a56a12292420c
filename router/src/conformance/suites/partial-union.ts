// partial-union: a declares the union Alpha | Beta | Gamma and answers getResponse alone; b
// knows only Alpha, which must not lead the planner to drop Beta and Gamma.
export default ({ message, actions }: { message: string; actions: unknown[] }) => ({
  a: { Query: { getResponse: () => ({ message, actions }) } },
  b: {},
});
