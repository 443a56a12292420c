// provides-on-interface: b's media provides the animals' names; a and c throw where a good
// plan would not ask them (the suite's records set pubishPoorPlans).
interface Animal {
  __typename: string;
  id: string;
  name: string;
  age: number;
}
interface Data {
  animals: Animal[];
  medias: Array<{ __typename: string; id: string; animals: string[] }>;
  pubishPoorPlans: boolean;
}

export default ({ animals, medias, pubishPoorPlans }: Data) => {
  const animal = (id: string) => animals.find((a) => a.id === id);
  const media = medias[0]!;
  const poorPlan = (message: string) => {
    if (pubishPoorPlans) throw new Error(message);
  };
  const animalEntity = (typename: string) => ({
    __resolveReference: ({ id }: { id: string }) => {
      const found = animal(id);
      return found ? { __typename: typename, id, name: found.name, age: found.age } : null;
    },
    age: ({ id }: { id: string }) => animal(id)?.age ?? null,
  });
  const dog = animalEntity('Dog');
  return {
    a: {
      Query: {
        media: () => {
          poorPlan("You should be using the 'a' subgraph!");
          return { __typename: media.__typename, id: media.id, animals: media.animals.map((id) => (animal(id) ? { __typename: animal(id)!.__typename, id } : null)) };
        },
        book: () => ({
          __typename: 'Book',
          id: media.id,
          // Only dogs' names are provided here.
          animals: media.animals.map((id) => {
            const found = animal(id);
            if (!found) return null;
            return found.__typename === 'Dog' ? { __typename: 'Dog', id, name: found.name } : { __typename: found.__typename, id };
          }),
        }),
      },
    },
    b: {
      Query: {
        media: () => ({
          __typename: media.__typename,
          id: media.id,
          animals: media.animals.map((id) => (animal(id) ? { __typename: animal(id)!.__typename, id, name: animal(id)!.name } : null)),
        }),
      },
    },
    c: {
      Query: {
        media: () => {
          poorPlan("You should be using the 'a' subgraph!");
          return media;
        },
      },
      Book: {
        __resolveReference: ({ id }: { id: string }) => {
          const found = medias.find((m) => m.id === id);
          return found ? { __typename: 'Book', id, animals: found.animals } : null;
        },
        animals: ({ animals: ids }: { animals: string[] }) => ids.map((id) => (animal(id) ? { __typename: animal(id)!.__typename, id, name: animal(id)!.name } : null)),
      },
      Cat: animalEntity('Cat'),
      Dog: {
        ...dog,
        __resolveReference: (key: { id: string }) => {
          poorPlan("You should be using the 'c' subgraph!");
          return dog.__resolveReference(key);
        },
      },
    },
  };
};
