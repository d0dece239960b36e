"""The model layer, under both training and predict: network builders and heads, class channels,
whole-image fitting, model-folder loading and the head-recording predictor."""
