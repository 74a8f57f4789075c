/** Unsupervised ML-CSC dictionary learning (Sulam, Papyan, Romano, Elad, IEEE TSP 2018): the online algorithm. */
export * from './mlcsc-unsupervised';
