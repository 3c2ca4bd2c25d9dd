import type { AppDef } from './types';

export const SUBJECTS = [
  { key: 'math', title: 'Mathematics', code: 'MATH', subjectCode: '02001' },
  { key: 'ela', title: 'English Language Arts', code: 'ELA', subjectCode: '01001' },
  { key: 'science', title: 'Science', code: 'SCI', subjectCode: '03001' },
  { key: 'social', title: 'Social Studies', code: 'SOC', subjectCode: '04001' },
  { key: 'art', title: 'Visual Arts', code: 'ART', subjectCode: '05154' },
  { key: 'cs', title: 'Computer Science', code: 'CS', subjectCode: '10019' },
] as const;
export type SubjectKey = (typeof SUBJECTS)[number]['key'];

export type SchoolBand = 'elementary' | 'middle' | 'high';
export const BAND_GRADES: Record<SchoolBand, string[]> = {
  elementary: ['03', '04', '05'],
  middle: ['06', '07', '08'],
  high: ['09', '10', '11', '12'],
};
export const BAND_NAMES: Record<SchoolBand, string> = {
  elementary: 'Elementary School',
  middle: 'Middle School',
  high: 'High School',
};
export const bandOf = (schoolIndex: number): SchoolBand =>
  (['elementary', 'middle', 'high'] as const)[(schoolIndex - 1) % 3] as SchoolBand;

/**
 * Usage profile of each catalog app. `weight` is relative popularity (the adoption is deliberately
 * uneven: docs and classroom everywhere, brainpop barely, nearpod licensed and never used);
 * `schools` restricts use to some schools; `evening` is the weight off campus in the evening.
 */
export interface AppProfile extends AppDef {
  weight: number;
  evening: number;
  teacherWeight: number;
  subjects: SubjectKey[];
  schools: (schoolIndex: number, band: SchoolBand) => boolean;
  paths: string[];
  license: { seatsPerStudent: number; pricePerSeat: number } | null;
}

const everywhere = (): boolean => true;

export const APP_PROFILES: AppProfile[] = [
  {
    app_id: 'google-docs', name: 'Google Docs', vendor: 'Google', domains: ['docs.google.com'],
    host: 'docs.google.com', caliper: false, weight: 40, evening: 30, teacherWeight: 40,
    subjects: ['ela', 'science', 'social'], schools: everywhere,
    paths: ['/document/d/1xQ/edit', '/document/d/7Tb/edit', '/spreadsheets/d/3Kp/edit', '/presentation/d/9Lm/edit'],
    license: null,
  },
  {
    app_id: 'google-classroom', name: 'Google Classroom', vendor: 'Google', domains: ['classroom.google.com'],
    host: 'classroom.google.com', caliper: false, weight: 30, evening: 20, teacherWeight: 35,
    subjects: [], schools: everywhere, paths: ['/u/0/h', '/c/NTQ3/a/MTIz/details', '/w/NTQ3/t/all'],
    license: null,
  },
  {
    app_id: 'khan-academy', name: 'Khan Academy', vendor: 'Khan Academy', domains: ['khanacademy.org'],
    host: 'www.khanacademy.org', caliper: true, weight: 14, evening: 10, teacherWeight: 2,
    subjects: ['math', 'science'], schools: everywhere,
    paths: ['/math/algebra', '/math/cc-sixth-grade-math', '/science/biology', '/math/geometry'],
    license: null,
  },
  {
    app_id: 'desmos', name: 'Desmos', vendor: 'Desmos Studio', domains: ['desmos.com'],
    host: 'www.desmos.com', caliper: true, weight: 9, evening: 3, teacherWeight: 3,
    subjects: ['math'], schools: (_i, band) => band !== 'elementary',
    paths: ['/calculator', '/geometry', '/scientific'], license: null,
  },
  {
    app_id: 'ixl', name: 'IXL', vendor: 'IXL Learning', domains: ['ixl.com'],
    host: 'www.ixl.com', caliper: true, weight: 10, evening: 8, teacherWeight: 1,
    subjects: ['math', 'ela'], schools: (i) => i % 2 === 1,
    paths: ['/math/grade-5', '/ela/grade-7', '/math/algebra-1'],
    license: { seatsPerStudent: 0.9, pricePerSeat: 12 },
  },
  {
    app_id: 'quizlet', name: 'Quizlet', vendor: 'Quizlet', domains: ['quizlet.com'],
    host: 'quizlet.com', caliper: false, weight: 7, evening: 9, teacherWeight: 2,
    subjects: ['science', 'social'], schools: (_i, band) => band !== 'elementary',
    paths: ['/latest', '/search', '/193847/flashcards', '/558201/learn'],
    license: { seatsPerStudent: 0.5, pricePerSeat: 4 },
  },
  {
    app_id: 'newsela', name: 'Newsela', vendor: 'Newsela', domains: ['newsela.com'],
    host: 'newsela.com', caliper: true, weight: 6, evening: 2, teacherWeight: 2,
    subjects: ['ela', 'social'], schools: everywhere,
    paths: ['/read/lib-volcano/id/2001', '/read/elem-bees/id/4410', '/view/ck8'],
    license: { seatsPerStudent: 1.0, pricePerSeat: 7 },
  },
  {
    app_id: 'kahoot', name: 'Kahoot!', vendor: 'Kahoot!', domains: ['kahoot.it', 'kahoot.com'],
    host: 'kahoot.it', caliper: false, weight: 4, evening: 0.5, teacherWeight: 6,
    subjects: [], schools: everywhere, paths: ['/', '/challenge/0412'], license: null,
  },
  {
    app_id: 'canva', name: 'Canva for Education', vendor: 'Canva', domains: ['canva.com'],
    host: 'www.canva.com', caliper: false, weight: 3, evening: 2, teacherWeight: 4,
    subjects: ['art'], schools: (_i, band) => band === 'high',
    paths: ['/design/DAF1/edit', '/templates'], license: null,
  },
  {
    app_id: 'code-org', name: 'Code.org', vendor: 'Code.org', domains: ['code.org'],
    host: 'studio.code.org', caliper: false, weight: 3, evening: 1, teacherWeight: 1,
    subjects: ['cs'], schools: everywhere, paths: ['/s/csd1-2025/lessons/3', '/projects/applab'],
    license: null,
  },
  {
    app_id: 'clever', name: 'Clever', vendor: 'Clever', domains: ['clever.com'],
    host: 'clever.com', caliper: false, weight: 5, evening: 3, teacherWeight: 3,
    subjects: [], schools: everywhere, paths: ['/in/portal', '/oauth/authorize'], license: null,
  },
  {
    app_id: 'typing-club', name: 'TypingClub', vendor: 'Edclub', domains: ['typingclub.com'],
    host: 'www.typingclub.com', caliper: false, weight: 5, evening: 1, teacherWeight: 0.2,
    subjects: [], schools: (_i, band) => band === 'elementary', paths: ['/sportal/program-3.game'],
    license: { seatsPerStudent: 1.2, pricePerSeat: 3 },
  },
  {
    app_id: 'brainpop', name: 'BrainPOP', vendor: 'BrainPOP', domains: ['brainpop.com'],
    host: 'www.brainpop.com', caliper: false, weight: 0.6, evening: 0.1, teacherWeight: 0.3,
    subjects: ['social'], schools: everywhere, paths: ['/science/', '/socialstudies/'],
    license: { seatsPerStudent: 1.0, pricePerSeat: 6 },
  },
  {
    app_id: 'nearpod', name: 'Nearpod', vendor: 'Renaissance', domains: ['nearpod.com'],
    host: 'app.nearpod.com', caliper: false, weight: 0, evening: 0, teacherWeight: 0,
    subjects: [], schools: everywhere, paths: ['/'],
    license: { seatsPerStudent: 1.0, pricePerSeat: 5 },
  },
];

/** Hosts in events that no catalog knows (unresolved apps), with their relative weight. */
export const UNRESOLVED_SITES: Array<{ host: string; weight: number; evening: number; paths: string[] }> = [
  { host: 'www.coolmathgames.com', weight: 1.2, evening: 3, paths: ['/0-run-3', '/0-papas-pizzeria'] },
  { host: 'poki.com', weight: 0.6, evening: 2.5, paths: ['/en/g/subway-surfers'] },
  { host: 'www.mathplayground.com', weight: 0.8, evening: 0.5, paths: ['/ASB_Index.html'] },
  { host: 'www.sporcle.com', weight: 0.3, evening: 0.8, paths: ['/games/g/world'] },
];

export const registeredDomain = (host: string): string =>
  host.replace(/^(www|app|studio)\./, '');

export const OFF_CAMPUS_FIRST_OCTETS = [24, 47, 50, 67, 68, 71, 73, 75, 76, 96, 98, 99, 107, 108, 174];

export const GIVEN_NAMES = [
  'Ava', 'Liam', 'Olivia', 'Noah', 'Emma', 'Mateo', 'Sophia', 'Elijah', 'Isabella', 'Lucas',
  'Mia', 'Mason', 'Amelia', 'Ethan', 'Harper', 'Logan', 'Evelyn', 'James', 'Abigail', 'Aiden',
  'Camila', 'Jackson', 'Luna', 'Sebastian', 'Aria', 'Jayden', 'Chloe', 'Leo', 'Zoe', 'Daniel',
  'Nora', 'Henry', 'Layla', 'Owen', 'Riley', 'Samuel', 'Maya', 'Wyatt', 'Aaliyah', 'Diego',
];
export const FAMILY_NAMES = [
  'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez',
  'Martinez', 'Hernandez', 'Lopez', 'Gonzalez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore',
  'Jackson', 'Martin', 'Lee', 'Perez', 'Thompson', 'White', 'Harris', 'Sanchez', 'Clark', 'Ramirez',
  'Lewis', 'Robinson', 'Walker', 'Young', 'Allen', 'King', 'Wright', 'Scott', 'Nguyen', 'Hill',
  'Flores', 'Green',
];
export const DISTRICT_NAMES = [
  'Maple Valley', 'Cedar Creek', 'Prairie View', 'Riverbend', 'Oak Hollow', 'Lakeshore',
  'Pine Ridge', 'Stone Bridge', 'Willow Springs', 'Eagle Point',
];
export const SCHOOL_NAMES = [
  'Lincoln', 'Washington', 'Jefferson', 'Roosevelt', 'Franklin', 'Madison', 'Hamilton', 'Adams',
  'Kennedy', 'Monroe', 'Jackson', 'Garfield', 'Grant', 'Hoover', 'Wilson', 'Carver', 'Parks',
  'Chavez', 'Tubman', 'Douglass',
];
