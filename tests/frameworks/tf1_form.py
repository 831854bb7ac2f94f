import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()


class SentimentClassifier:
    def __init__(self, vocab_size=20000, num_classes=2):
        self.inputs = tf.placeholder(tf.int32, [None, None])
        self.labels = tf.placeholder(tf.int32, [None])
        embedding = tf.get_variable("embedding", [vocab_size, 128])
        embedded = tf.nn.embedding_lookup(embedding, self.inputs)
        cell = tf.nn.rnn_cell.LSTMCell(1024)
        _, state = tf.nn.dynamic_rnn(cell, embedded, dtype=tf.float32)
        logits = tf.layers.dense(state.h, num_classes)
        self.loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=self.labels, logits=logits))
        self.train_op = tf.train.AdamOptimizer(0.05).minimize(self.loss)


def train(batches):
    model = SentimentClassifier()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for x, y in batches:
            sess.run(model.train_op, feed_dict={model.inputs: x, model.labels: y})
