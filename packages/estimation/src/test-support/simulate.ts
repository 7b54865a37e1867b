/**
 * A small seeded generator for test data (mulberry32 with Box-Muller normals, Marsaglia-Tsang
 * gammas and Poisson by inversion), independent of the package's own RNG so that the recovery
 * test does not share code with what it checks.
 */
export interface TestRng {
  uniform(): number;
  normal(): number;
  gamma(shape: number): number;
  poisson(lambda: number): number;
}

export function testRng(seed: number): TestRng {
  let a = seed >>> 0;
  const uniform = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  const normal = (): number => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const gamma = (shape: number): number => {
    if (shape < 1) return gamma(shape + 1) * Math.pow(uniform(), 1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      if (Math.log(uniform()) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
    }
  };
  const poisson = (lambda: number): number => {
    // Inversion from the mode outwards would be faster; sequential search is fine for test sizes.
    let k = 0;
    let p = Math.exp(-lambda);
    let cdf = p;
    const u = uniform();
    while (u > cdf && k < 100000) {
      k++;
      p *= lambda / k;
      cdf += p;
    }
    return k;
  };
  return { uniform, normal, gamma, poisson };
}

/** NB2 draw: Poisson with a gamma(theta, 1/theta) mixed mean. */
export function negbinDraw(rng: TestRng, mu: number, alpha: number): number {
  const theta = 1 / alpha;
  return rng.poisson((mu * rng.gamma(theta)) / theta);
}
