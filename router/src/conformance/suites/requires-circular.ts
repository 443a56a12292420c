// requires-circular: a's byExpert requires b's byNovice, which requires a's author.yearsOfExperience.
interface Author {
  id: string;
  name: string;
  yearsOfExperience: number;
}

export default ({ posts, authors }: { posts: Array<{ id: string; author: Author }>; authors: Author[] }) => {
  const post = (id: string) => posts.find((p) => p.id === id);
  return {
    a: {
      Query: { feed: () => posts.map(({ id }) => ({ id })) },
      Post: {
        __resolveReference: ({ id, byNovice }: { id: string; byNovice?: boolean | null }) => (post(id) ? (byNovice == null ? { id } : { id, byNovice }) : null),
        byExpert: ({ byNovice }: { byNovice?: boolean | null }) => (byNovice == null ? null : !byNovice),
      },
      Author: { __resolveReference: ({ id }: { id: string }) => authors.find((a) => a.id === id) ?? null },
    },
    b: {
      Post: {
        __resolveReference: ({ id, author }: { id: string; author?: { yearsOfExperience: number } }) =>
          post(id) ? { id, author: { id: post(id)!.author.id, ...author } } : null,
        byNovice: ({ author }: { author: { yearsOfExperience: number } }) => author.yearsOfExperience < 10,
      },
    },
  };
};
