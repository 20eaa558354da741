// What Kafka itself holds, for the chaos checker (tests/faults/ledger.py), in one JVM: every record of the topics
// to read (from the beginning, read without a consumer group, so it commits nothing), each topic partition's end
// offset, and each consumer group's committed offsets.
// Usage: java -cp '<kafka jars>/*' KafkaLedger.java <bootstrap> <topics to read,...> <all topics,...> <groups,...>
// Output, one line each, tab-separated: R topic partition offset value | E topic partition end | C group topic
// partition committed (a group that never committed on a partition prints nothing for it).
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.serialization.StringDeserializer;

public class KafkaLedger {
    public static void main(String[] args) throws Exception {
        Properties props = new Properties();
        props.put("bootstrap.servers", args[0]);
        props.put("request.timeout.ms", "30000");
        props.put("enable.auto.commit", "false");
        props.put("key.deserializer", StringDeserializer.class.getName());
        props.put("value.deserializer", StringDeserializer.class.getName());
        List<String> toRead = split(args[1]);
        List<String> all = split(args[2]);
        List<String> groups = split(args[3]);
        StringBuilder out = new StringBuilder();
        try (Admin admin = Admin.create(props); KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
            Map<String, TopicDescription> described = admin.describeTopics(all).allTopicNames().get(60, TimeUnit.SECONDS);
            List<TopicPartition> partitions = new ArrayList<>();
            for (TopicDescription d : described.values()) {
                for (TopicPartitionInfo p : d.partitions()) {
                    partitions.add(new TopicPartition(d.name(), p.partition()));
                }
            }
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, Duration.ofSeconds(60));
            for (Map.Entry<TopicPartition, Long> e : ends.entrySet()) {
                out.append("E\t").append(e.getKey().topic()).append('\t').append(e.getKey().partition())
                        .append('\t').append(e.getValue()).append('\n');
            }
            List<TopicPartition> reading = new ArrayList<>();
            for (TopicPartition tp : partitions) {
                if (toRead.contains(tp.topic())) {
                    reading.add(tp);
                }
            }
            consumer.assign(reading);
            consumer.seekToBeginning(reading);
            Map<TopicPartition, Long> left = new HashMap<>();
            for (TopicPartition tp : reading) {
                left.put(tp, ends.get(tp));
            }
            long deadline = System.currentTimeMillis() + 120_000;
            while (!done(consumer, left) && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    String value = r.value() == null ? "" : r.value().replace('\n', ' ');
                    out.append("R\t").append(r.topic()).append('\t').append(r.partition()).append('\t')
                            .append(r.offset()).append('\t').append(value).append('\n');
                }
            }
            for (String group : groups) {
                Map<TopicPartition, OffsetAndMetadata> committed =
                        admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(60, TimeUnit.SECONDS);
                for (Map.Entry<TopicPartition, OffsetAndMetadata> e : committed.entrySet()) {
                    if (e.getValue() != null) {
                        out.append("C\t").append(group).append('\t').append(e.getKey().topic()).append('\t')
                                .append(e.getKey().partition()).append('\t').append(e.getValue().offset()).append('\n');
                    }
                }
            }
        }
        System.out.print(out);
    }

    private static boolean done(KafkaConsumer<String, String> consumer, Map<TopicPartition, Long> ends) {
        for (Map.Entry<TopicPartition, Long> e : ends.entrySet()) {
            if (consumer.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    private static List<String> split(String csv) {
        return csv.isEmpty() ? List.of() : Arrays.asList(csv.split(","));
    }
}
