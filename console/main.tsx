/** The console's entry point: take a sign-in link's token, then render the app into #app. */
import { render } from 'preact';
import './styles.css';
import { App } from './app';
import { takeTokenFromFragment } from './lib/session';

takeTokenFromFragment();
const root = document.getElementById('app');
if (root) render(<App />, root);
