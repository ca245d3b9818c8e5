package dev.spillway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The image's build runs the training; a training run that served nothing would leave a cache of start-up code only. */
class AotTrainingTest {

    @Test
    void trainingServesEveryRequestPlainAndStreamedThroughARealProxy() throws Exception {
        assertThat(AotTraining.run(200)).isEqualTo(200);
    }
}
