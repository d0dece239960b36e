"""Prediction: nnU-Net's predictor + summarizing function -> masks and classification.csv."""
