// Placeholder until this page is written.
export function Home() { return <main id="main"><h1>Home</h1></main>; }
