import { Routes } from '@angular/router';
import { Home } from './home/home';

// Home is in the first load; the chart pages and their libraries load on
// first visit.
export const routes: Routes = [
  { path: '', component: Home, title: 'tickerlake' },
  { path: 'dashboard', loadComponent: () => import('./dashboard/dashboard').then((m) => m.Dashboard), title: 'Dashboard · tickerlake' },
  { path: 'HistoricalData', loadComponent: () => import('./historical/historical').then((m) => m.Historical), title: 'Historical data · tickerlake' },
  { path: 'OptionsData', loadComponent: () => import('./options/options').then((m) => m.Options), title: 'Options · tickerlake' },
  { path: 'models', loadComponent: () => import('./models/models').then((m) => m.Models), title: 'Models · tickerlake' },
  { path: '**', loadComponent: () => import('./not-found').then((m) => m.NotFound), title: 'Not found · tickerlake' },
];
