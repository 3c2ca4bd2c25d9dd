// Small admin/health CLI for the local Kafka broker, run with Java's single-file source launcher:
//   java -cp 'infra/kafka/lib/*' infra/kafka/KafkaCli.java <command> ...
// It uses only kafka-clients (already in lib/), because the kafka-tools artifact (TopicCommand,
// ConsoleProducer, ...) of the Kafka version we run is not available from the registry.
//
// Commands (bootstrap from $KAFKA_BOOTSTRAP, default 127.0.0.1:9092):
//   health                          metadata round-trip: cluster id, controller, broker count
//   list                            topic names, one per line
//   create <topic> [partitions]     create a topic (replication factor 1); exists already = ok
//   delete <topic>                  delete a topic
//   produce <topic> <key> <value>   send one record (acks=all) and print partition@offset
//   consume <topic> <count> [ms]    read <count> records from the beginning, print key<TAB>value
import java.time.Duration;
import java.util.*;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.*;

public class KafkaCli {
  static String bootstrap() {
    String b = System.getenv("KAFKA_BOOTSTRAP");
    return b == null || b.isBlank() ? "127.0.0.1:9092" : b;
  }

  static Properties base() {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap());
    p.put("request.timeout.ms", "5000");
    p.put("default.api.timeout.ms", "8000");
    p.put("client.id", "edusage-kafkacli");
    return p;
  }

  public static void main(String[] args) throws Exception {
    if (args.length == 0) usage();
    try {
      switch (args[0]) {
        case "health" -> health();
        case "list" -> list();
        case "create" -> create(arg(args, 1), args.length > 2 ? Integer.parseInt(args[2]) : 6);
        case "delete" -> delete(arg(args, 1));
        case "produce" -> produce(arg(args, 1), arg(args, 2), arg(args, 3));
        case "consume" -> consume(arg(args, 1), Integer.parseInt(arg(args, 2)),
            args.length > 3 ? Long.parseLong(args[3]) : 10000L);
        default -> usage();
      }
    } catch (ExecutionException e) {
      System.err.println("kafka: " + e.getCause());
      System.exit(1);
    } catch (Exception e) {
      System.err.println("kafka: " + e);
      System.exit(1);
    }
  }

  static String arg(String[] a, int i) {
    if (a.length <= i) usage();
    return a[i];
  }

  static void usage() {
    System.err.println("usage: KafkaCli health|list|create <t> [n]|delete <t>|produce <t> <k> <v>|consume <t> <n> [ms]");
    System.exit(2);
  }

  static void health() throws Exception {
    try (Admin admin = Admin.create(base())) {
      DescribeClusterResult c = admin.describeCluster();
      String id = c.clusterId().get(8, TimeUnit.SECONDS);
      int brokers = c.nodes().get(8, TimeUnit.SECONDS).size();
      var controller = c.controller().get(8, TimeUnit.SECONDS);
      admin.listTopics().names().get(8, TimeUnit.SECONDS);
      System.out.println("ok cluster=" + id + " brokers=" + brokers + " controller=" + controller.id());
    }
  }

  static void list() throws Exception {
    try (Admin admin = Admin.create(base())) {
      new TreeSet<>(admin.listTopics().names().get()).forEach(System.out::println);
    }
  }

  static void create(String topic, int partitions) throws Exception {
    try (Admin admin = Admin.create(base())) {
      admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
      System.out.println("created " + topic + " partitions=" + partitions);
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) throw e;
      System.out.println("exists " + topic);
    }
  }

  static void delete(String topic) throws Exception {
    try (Admin admin = Admin.create(base())) {
      admin.deleteTopics(List.of(topic)).all().get();
      System.out.println("deleted " + topic);
    }
  }

  static void produce(String topic, String key, String value) throws Exception {
    Properties p = base();
    p.put("acks", "all");
    p.put("enable.idempotence", "true");
    try (var producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
      var md = producer.send(new ProducerRecord<>(topic, key, value)).get();
      System.out.println("sent " + md.topic() + "-" + md.partition() + "@" + md.offset());
    }
  }

  static void consume(String topic, int count, long timeoutMs) throws Exception {
    Properties p = base();
    p.put("group.id", "edusage-kafkacli-" + UUID.randomUUID());
    p.put("auto.offset.reset", "earliest");
    p.put("enable.auto.commit", "false");
    int seen = 0;
    long deadline = System.currentTimeMillis() + timeoutMs;
    try (var consumer = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of(topic));
      while (seen < count && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
          System.out.println(r.key() + "\t" + r.value());
          if (++seen >= count) break;
        }
      }
    }
    if (seen < count) {
      System.err.println("kafka: got " + seen + " of " + count + " records within " + timeoutMs + " ms");
      System.exit(1);
    }
  }
}
